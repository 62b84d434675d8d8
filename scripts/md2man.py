#!/usr/bin/env python3
"""Turn a certpick Markdown doc page (docs/cli/<cmd>.md, docs/certpick.md)
into a man page (roff). Only the Markdown the docs use is supported:
headings, paragraphs, fenced code blocks, bullet lists, tables, `code`,
**bold** and *italic*.

usage: md2man.py INPUT.md OUTPUT.1
"""
import datetime
import os
import re
import sys


def esc(text):
    text = text.replace("\\", "\\e")
    text = text.replace("-", "\\-")
    return text


def inline(text):
    text = esc(text)
    text = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"(?<![\w*])\*([^*]+)\*(?![\w*])", r"\\fI\1\\fR", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", text)
    return text


def line_out(out, text):
    if text.startswith(".") or text.startswith("'"):
        text = "\\&" + text
    out.append(text)


def convert(md, name):
    out = []
    lines = md.splitlines()
    title = name.upper()
    date = os.environ.get("SOURCE_DATE_EPOCH")
    day = datetime.datetime.utcfromtimestamp(int(date)) if date else datetime.datetime(2026, 11, 26)
    out.append('.TH "%s" 1 "%s" "certpick" "certpick manual"' % (title, day.strftime("%Y-%m-%d")))
    i = 0
    in_para = False
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("```"):
            out.append(".PP")
            out.append(".nf")
            out.append(".RS 4")
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                line_out(out, esc(lines[i]))
                i += 1
            out.append(".RE")
            out.append(".fi")
            in_para = False
        elif ln.startswith("# "):
            out.append(".SH NAME")
            head = ln[2:].strip()
            # the first paragraph after the title is the one-line summary
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            summary = lines[j].strip() if j < len(lines) else ""
            out.append("%s \\- %s" % (esc(head.replace(" ", "-")), inline(summary)))
            i = j
        elif ln.startswith("## "):
            out.append(".SH " + esc(ln[3:].strip().upper()))
            in_para = False
        elif ln.startswith("### "):
            out.append(".SS " + inline(ln[4:].strip()))
            in_para = False
        elif re.match(r"^\s*[-*] ", ln):
            out.append(".IP \\(bu 2")
            line_out(out, inline(re.sub(r"^\s*[-*] ", "", ln)))
            in_para = True
        elif ln.startswith("|"):
            cells = [c.strip() for c in ln.strip().strip("|").split("|")]
            if all(re.match(r"^:?-+:?$", c) for c in cells if c):
                i += 1
                continue
            out.append(".TP")
            line_out(out, inline(cells[0]))
            line_out(out, inline(" \\(em ".join(cells[1:])) if len(cells) > 1 else "")
            in_para = False
        elif not ln.strip():
            in_para = False
        else:
            if not in_para:
                out.append(".PP")
                in_para = True
            line_out(out, inline(ln.strip()))
        i += 1
    return "\n".join(out) + "\n"


def main():
    src, dst = sys.argv[1], sys.argv[2]
    name = os.path.basename(dst).rsplit(".", 1)[0]
    with open(src, encoding="utf-8") as f:
        md = f.read()
    with open(dst, "w", encoding="utf-8") as f:
        f.write(convert(md, name))


if __name__ == "__main__":
    main()
