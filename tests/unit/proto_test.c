/*
 * The protocol layers (proto_*.c) driven through step() the way the engine
 * drives them (proto.h), against transcripts of what Postfix, Dovecot,
 * OpenLDAP slapd, vsftpd and Prosody send, each replayed with the server's
 * bytes arriving whole and in chunks of 1, 2, 3 and 7 bytes; plus hostile
 * servers. The layer's writes are checked byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"
#include "proto_drive.h"

/* Postfix 3.7 (Debian): the EHLO answers before and after STARTTLS */
#define PF_GREET "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"
#define PF_EHLO1                                                                             \
	"250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"        \
	"250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n" \
	"250-SMTPUTF8\r\n250 CHUNKING\r\n"
#define PF_EHLO2                                                                             \
	"250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"        \
	"250-ETRN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n" \
	"250 CHUNKING\r\n"
#define PF_CAPS2 \
	"PIPELINING SIZE=10240000 VRFY ETRN ENHANCEDSTATUSCODES 8BITMIME DSN SMTPUTF8 CHUNKING"
#define EHLO "EHLO certpick.invalid\r\n"
#define SMTP_TO_TLS                                           \
	S(PF_GREET), C(EHLO), S(PF_EHLO1), C("STARTTLS\r\n"), \
	    S("220 2.0.0 Ready to start TLS\r\n"), TLS, C(EHLO)
/* a server with Cyrus SASL EXTERNAL (Exim, Sendmail) */
#define EXT_EHLO2                                                            \
	"250-mx.example.org Hello certpick.invalid\r\n250-SIZE 52428800\r\n" \
	"250-AUTH PLAIN EXTERNAL\r\n250 HELP\r\n"
#define RELAY                                                       \
	{                                                           \
		.host = "127.0.0.1", .mail_from = "a@example.org",  \
		.rcpt_to = "b@elsewhere.example", .have_cert = true \
	}
#define CERT                                           \
	{                                              \
		.host = "127.0.0.1", .have_cert = true \
	}

static const struct tcase smtp_cases[] = {
	{ .what = "postfix relays for the certificate (permit_tls_clientcerts)",
	    .scheme = "smtp",
	    .params = RELAY,
	    .ev = { SMTP_TO_TLS, S(PF_EHLO2), C("MAIL FROM:<a@example.org>\r\n"),
		S("250 2.1.0 Ok\r\n"), C("RCPT TO:<b@elsewhere.example>\r\n"),
		S("250 2.1.5 Ok\r\n"), C("QUIT\r\n"), S("221 2.0.0 Bye\r\n") },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_ACCEPTED,
	    .code = 250,
	    .text = "2.1.5 Ok",
	    .capabilities = PF_CAPS2,
	    .banner = "mail.example.org ESMTP Postfix (Debian/GNU)" },
	{ .what = "postfix refuses the relay",
	    .scheme = "smtp",
	    .params = RELAY,
	    .ev = { SMTP_TO_TLS, S(PF_EHLO2), C("MAIL FROM:<a@example.org>\r\n"),
		S("250 2.1.0 Ok\r\n"), C("RCPT TO:<b@elsewhere.example>\r\n"),
		S("554 5.7.1 <b@elsewhere.example>: Relay access denied\r\n"), C("QUIT\r\n"),
		S("221 2.0.0 Bye\r\n") },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .code = 554,
	    .text = "5.7.1 <b@elsewhere.example>: Relay access denied" },
	{ .what = "MAIL FROM refused; the server closes after QUIT without 221",
	    .scheme = "smtp",
	    .params = { .mail_from = "<>", .rcpt_to = "<b@x>" },
	    .ev = { SMTP_TO_TLS, S(PF_EHLO2), C("MAIL FROM:<>\r\n"),
		S("530 5.7.0 Must issue a STARTTLS command first\r\n"), C("QUIT\r\n"), EOF_ },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .code = 530 },
	{ .what = "postfix: no AUTH EXTERNAL, no relay check",
	    .scheme = "smtp",
	    .params = CERT,
	    .ev = { SMTP_TO_TLS, S(PF_EHLO2), C("QUIT\r\n"), S("221 2.0.0 Bye\r\n") },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NOT_OFFERED,
	    .code = 250 },
	{ .what = "AUTH EXTERNAL accepted",
	    .scheme = "smtp",
	    .params = CERT,
	    .ev = { SMTP_TO_TLS, S(EXT_EHLO2), C("AUTH EXTERNAL =\r\n"),
		S("235 2.7.0 Authentication succeeded\r\n"), C("QUIT\r\n"), S("221 bye\r\n") },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_ACCEPTED,
	    .code = 235,
	    .capabilities = "SIZE=52428800 AUTH=PLAIN AUTH=EXTERNAL HELP",
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "AUTH EXTERNAL with an authzid, refused",
	    .scheme = "smtp",
	    .params = { .user = "alice", .have_cert = true },
	    .ev = { SMTP_TO_TLS, S(EXT_EHLO2), C("AUTH EXTERNAL YWxpY2U=\r\n"),
		S("535 5.7.8 Error: authentication failed: no mechanism available\r\n"),
		C("QUIT\r\n"), S("221 bye\r\n") },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .code = 535,
	    .text = "authentication failed",
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "AUTH EXTERNAL answered with 334 twice: empty line, then cancel",
	    .scheme = "smtp",
	    .params = CERT,
	    .ev = { SMTP_TO_TLS, S(EXT_EHLO2), C("AUTH EXTERNAL =\r\n"), S("334 \r\n"), C("\r\n"),
		S("334 \r\n"), C("*\r\n"), S("501 5.7.0 Authentication aborted\r\n"), C("QUIT\r\n"),
		S("221 bye\r\n") },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .code = 501,
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "EXTERNAL offered, no certificate: tried, refused",
	    .scheme = "smtp",
	    .params = { .host = "h" },
	    .ev = { SMTP_TO_TLS, S(EXT_EHLO2), C("AUTH EXTERNAL =\r\n"),
		S("535 5.7.8 Error: authentication failed\r\n"), C("QUIT\r\n"), S("221 bye\r\n") },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .code = 535,
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "STARTTLS refused (454)",
	    .scheme = "smtp",
	    .params = CERT,
	    .ev = { S(PF_GREET), C(EHLO), S(PF_EHLO1), C("STARTTLS\r\n"),
		S("454 4.7.0 TLS not available due to local problem\r\n"), C("QUIT\r\n"),
		S("221 2.0.0 Bye\r\n") },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NO_TLS,
	    .code = 454,
	    .text = "4.7.0 TLS not available due to local problem" },
	{ .what = "STARTTLS not offered",
	    .scheme = "smtp",
	    .params = CERT,
	    .ev = { S(PF_GREET), C(EHLO), S("250-x\r\n250 PIPELINING\r\n"), C("QUIT\r\n"), EOF_ },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NO_TLS,
	    .text = "STARTTLS not offered",
	    .capabilities = "PIPELINING" },
	{ .what = "EHLO refused: no HELO fallback",
	    .scheme = "smtp",
	    .params = CERT,
	    .ev = { S(PF_GREET), C(EHLO), S("502 5.5.2 Error: command not recognized\r\n"),
		C("QUIT\r\n"), S("221 bye\r\n") },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NO_TLS,
	    .code = 502 },
	{ .what = "greeting 554, multi-line",
	    .scheme = "smtp",
	    .params = CERT,
	    .ev = { S("554-mail.example.org\r\n554 5.7.1 <unknown[127.0.0.1]>: Client host "
		      "rejected: Access denied\r\n"),
		C("QUIT\r\n"), EOF_ },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .code = 554,
	    .banner =
		"mail.example.org 5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied" },
	{ .what = "smtps: implicit TLS, greeting after the handshake",
	    .scheme = "smtps",
	    .params = CERT,
	    .ev = { S(PF_GREET), C(EHLO), S(EXT_EHLO2), C("AUTH EXTERNAL =\r\n"), S("235 ok\r\n"),
		C("QUIT\r\n"), S("221 bye\r\n") },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_ACCEPTED,
	    .code = 235,
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "bytes pipelined after the STARTTLS answer are not consumed",
	    .scheme = "smtp",
	    .params = CERT,
	    .whole_only = true,
	    .ev = { S(PF_GREET), C(EHLO), S(PF_EHLO1), C("STARTTLS\r\n"),
		S("220 2.0.0 Ready to start TLS\r\n250-injected\r\n") },
	    .end = WANT_LEFTOVER },
	{ .what = "the server closes before the greeting",
	    .scheme = "smtp",
	    .params = CERT,
	    .ev = { EOF_ },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_UNKNOWN,
	    .text = "closed the connection before the greeting" },
	{ .what = "the server closes in the middle of the EHLO reply",
	    .scheme = "smtp",
	    .params = CERT,
	    .ev = { S(PF_GREET), C(EHLO), S("250-mail\r\n250-PIPEL"), EOF_ },
	    .end = WANT_FAIL,
	    .text = "in the middle of the EHLO reply" },
	{ .what = "a NUL in a reply",
	    .scheme = "smtp",
	    .params = CERT,
	    .ev = { S("220 mail\0 ESMTP\r\n") },
	    .end = WANT_FAIL },
	{ .what = "HTTP instead of SMTP",
	    .scheme = "smtp",
	    .params = CERT,
	    .ev = { S("HTTP/1.1 400 Bad Request\r\n") },
	    .end = WANT_FAIL },
	{ .what = "continuation lines with another code",
	    .scheme = "smtp",
	    .params = CERT,
	    .ev = { S("220-a\r\n221 b\r\n") },
	    .end = WANT_FAIL },
	{ .what = "an address with CR LF is never sent",
	    .scheme = "smtp",
	    .params = { .mail_from = "a@x>\r\nRCPT TO:<v@y", .rcpt_to = "b@z" },
	    .ev = { { 0 } },
	    .end = WANT_FAIL,
	    .text = "control character" },
};

static void
smtp(void **state)
{
	(void)state;
	run_cases(smtp_cases, CP_NELEM(smtp_cases));
}

/* Dovecot 2.3 (Debian) */
#define DC_GREET                                                                      \
	"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ " \
	"STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n"
#define DC_CAPS_TLS \
	"IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN AUTH=EXTERNAL"
#define DC_CAPA_TLS                        \
	"* CAPABILITY " DC_CAPS_TLS "\r\n" \
	"a2 OK Pre-login capabilities listed, post-login capabilities have more.\r\n"
#define IMAP_TO_TLS                                                                        \
	S(DC_GREET), C("a1 STARTTLS\r\n"), S("a1 OK Begin TLS negotiation now.\r\n"), TLS, \
	    C("a2 CAPABILITY\r\n")
#define IMAP_LOGOUT(n)           \
	C("a" #n " LOGOUT\r\n"), \
	    S("* BYE Logging out\r\na" #n " OK Logout completed (0.001 + 0.000 secs).\r\n")

static const struct tcase imap_cases[] = {
	{ .what = "dovecot accepts EXTERNAL (SASL-IR)",
	    .scheme = "imap",
	    .params = CERT,
	    .ev = { IMAP_TO_TLS, S(DC_CAPA_TLS), C("a3 AUTHENTICATE EXTERNAL =\r\n"),
		S("a3 OK [CAPABILITY IMAP4rev1 SASL-IR] Logged in\r\n"), IMAP_LOGOUT(4) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_ACCEPTED,
	    .text = "OK [CAPABILITY IMAP4rev1 SASL-IR] Logged in",
	    .capabilities = DC_CAPS_TLS,
	    .offers_external = true,
	    .sent_auth = true,
	    .banner = "OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ "
		      "STARTTLS AUTH=PLAIN] Dovecot (Debian) ready." },
	{ .what = "dovecot refuses; the authzid is sent in base64",
	    .scheme = "imap",
	    .params = { .user = "alice", .have_cert = true },
	    .ev = { IMAP_TO_TLS, S(DC_CAPA_TLS), C("a3 AUTHENTICATE EXTERNAL YWxpY2U=\r\n"),
		S("a3 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"), IMAP_LOGOUT(4) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .text = "NO [AUTHENTICATIONFAILED]",
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "no SASL-IR: the continuation gets the response",
	    .scheme = "imap",
	    .params = { .user = "alice", .have_cert = true },
	    .ev = { IMAP_TO_TLS, S("* CAPABILITY IMAP4rev1 AUTH=EXTERNAL\r\na2 OK done\r\n"),
		C("a3 AUTHENTICATE EXTERNAL\r\n"), S("+ \r\n"), C("YWxpY2U=\r\n"),
		S("a3 OK Logged in\r\n"), IMAP_LOGOUT(4) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_ACCEPTED,
	    .identity = "alice",
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "a second continuation is cancelled",
	    .scheme = "imap",
	    .params = CERT,
	    .ev = { IMAP_TO_TLS, S("* CAPABILITY IMAP4rev1 AUTH=EXTERNAL\r\na2 OK done\r\n"),
		C("a3 AUTHENTICATE EXTERNAL\r\n"), S("+ \r\n"), C("\r\n"), S("+ more?\r\n"),
		C("*\r\n"), S("a3 BAD Authentication aborted by client.\r\n"), IMAP_LOGOUT(4) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "EXTERNAL not offered after TLS",
	    .scheme = "imap",
	    .params = CERT,
	    .ev = { IMAP_TO_TLS, S("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na2 OK done\r\n"),
		IMAP_LOGOUT(3) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NOT_OFFERED,
	    .capabilities = "IMAP4rev1 AUTH=PLAIN" },
	{ .what = "no greeting capabilities: CAPABILITY first; STARTTLS not offered",
	    .scheme = "imap",
	    .params = CERT,
	    .ev = { S("* OK IMAP4rev1 server ready\r\n"), C("a1 CAPABILITY\r\n"),
		S("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK done\r\n"), IMAP_LOGOUT(2) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NO_TLS,
	    .text = "STARTTLS not offered" },
	{ .what = "STARTTLS refused",
	    .scheme = "imap",
	    .params = CERT,
	    .ev = { S(DC_GREET), C("a1 STARTTLS\r\n"), S("a1 NO [UNAVAILABLE] TLS unavailable\r\n"),
		IMAP_LOGOUT(2) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NO_TLS,
	    .text = "NO [UNAVAILABLE] TLS unavailable" },
	{ .what = "greeting BYE",
	    .scheme = "imap",
	    .params = CERT,
	    .ev = { S("* BYE Too many connections\r\n") },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .text = "BYE Too many connections" },
	{ .what = "imaps: greeting capabilities are the TLS ones",
	    .scheme = "imaps",
	    .params = CERT,
	    .ev = { S("* OK [CAPABILITY IMAP4rev1 AUTH=EXTERNAL] ready\r\n"),
		C("a1 AUTHENTICATE EXTERNAL\r\n"), S("+\r\n"), C("\r\n"), S("a1 OK in\r\n"),
		C("a2 LOGOUT\r\n"), EOF_ },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_ACCEPTED,
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "pipelined after the STARTTLS OK",
	    .scheme = "imap",
	    .params = CERT,
	    .whole_only = true,
	    .ev = { S(DC_GREET), C("a1 STARTTLS\r\n"), S("a1 OK Begin TLS\r\n* CAPABILITY X\r\n") },
	    .end = WANT_LEFTOVER },
	{ .what = "a wrong tag",
	    .scheme = "imap",
	    .params = CERT,
	    .ev = { S(DC_GREET), C("a1 STARTTLS\r\n"), S("a7 OK Begin TLS\r\n") },
	    .end = WANT_FAIL,
	    .text = "wrong tag" },
	{ .what = "an unexpected continuation",
	    .scheme = "imap",
	    .params = CERT,
	    .ev = { S(DC_GREET), C("a1 STARTTLS\r\n"), S("+ go\r\n") },
	    .end = WANT_FAIL },
	{ .what = "not IMAP",
	    .scheme = "imap",
	    .params = CERT,
	    .ev = { S("220 smtp.example.org ESMTP\r\n") },
	    .end = WANT_FAIL },
	{ .what = "closed during AUTHENTICATE",
	    .scheme = "imap",
	    .params = CERT,
	    .ev = { IMAP_TO_TLS, S(DC_CAPA_TLS), C("a3 AUTHENTICATE EXTERNAL =\r\n"), EOF_ },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_UNKNOWN,
	    .offers_external = true,
	    .sent_auth = true },
};

static void
imap(void **state)
{
	(void)state;
	run_cases(imap_cases, CP_NELEM(imap_cases));
}

#define DV_CAPA1                                                                       \
	"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\n" \
	"STLS\r\nUSER\r\nSASL PLAIN\r\n.\r\n"
#define DV_CAPA2                                                                       \
	"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\n" \
	"USER\r\nSASL PLAIN EXTERNAL\r\n.\r\n"
#define POP3_TO_TLS                                                                      \
	S("+OK Dovecot (Debian) ready.\r\n"), C("CAPA\r\n"), S(DV_CAPA1), C("STLS\r\n"), \
	    S("+OK Begin TLS negotiation now.\r\n"), TLS, C("CAPA\r\n")
#define POP3_QUIT C("QUIT\r\n"), S("+OK Logging out.\r\n")

static const struct tcase pop3_cases[] = {
	{ .what = "dovecot accepts EXTERNAL",
	    .scheme = "pop3",
	    .params = CERT,
	    .ev = { POP3_TO_TLS, S(DV_CAPA2), C("AUTH EXTERNAL =\r\n"), S("+OK Logged in.\r\n"),
		POP3_QUIT },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_ACCEPTED,
	    .text = "+OK Logged in.",
	    .capabilities =
		"CAPA TOP UIDL RESP-CODES PIPELINING AUTH-RESP-CODE USER SASL=PLAIN SASL=EXTERNAL",
	    .banner = "+OK Dovecot (Debian) ready.",
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "dovecot refuses",
	    .scheme = "pop3",
	    .params = { .user = "bob", .have_cert = true },
	    .ev = { POP3_TO_TLS, S(DV_CAPA2), C("AUTH EXTERNAL Ym9i\r\n"),
		S("-ERR [AUTH] Authentication failed.\r\n"), POP3_QUIT },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .text = "-ERR [AUTH] Authentication failed.",
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "EXTERNAL not offered",
	    .scheme = "pop3",
	    .params = CERT,
	    .ev = { POP3_TO_TLS, S("+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n"), POP3_QUIT },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NOT_OFFERED },
	{ .what = "STLS refused",
	    .scheme = "pop3",
	    .params = CERT,
	    .ev = { S("+OK ready\r\n"), C("CAPA\r\n"), S(DV_CAPA1), C("STLS\r\n"),
		S("-ERR TLS support isn't enabled.\r\n"), POP3_QUIT },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NO_TLS,
	    .text = "-ERR TLS support isn't enabled." },
	{ .what = "STLS not in CAPA",
	    .scheme = "pop3",
	    .params = CERT,
	    .ev = { S("+OK ready\r\n"), C("CAPA\r\n"), S("+OK\r\nUSER\r\n.\r\n"), POP3_QUIT },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NO_TLS,
	    .text = "STLS not offered" },
	{ .what = "no CAPA: STLS tried anyway; a challenge answered then cancelled",
	    .scheme = "pop3",
	    .params = CERT,
	    .ev = { S("+OK ready\r\n"), C("CAPA\r\n"), S("-ERR unknown command\r\n"), C("STLS\r\n"),
		S("+OK go\r\n"), TLS, C("CAPA\r\n"), S("+OK\r\nSASL EXTERNAL\r\n..dotted\r\n.\r\n"),
		C("AUTH EXTERNAL =\r\n"), S("+ \r\n"), C("\r\n"), S("+ \r\n"), C("*\r\n"),
		S("-ERR aborted\r\n"), POP3_QUIT },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .capabilities = "SASL=EXTERNAL .dotted",
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "pop3s",
	    .scheme = "pop3s",
	    .params = CERT,
	    .ev = { S("+OK ready\r\n"), C("CAPA\r\n"), S(DV_CAPA2), C("AUTH EXTERNAL =\r\n"),
		S("+OK in\r\n"), C("QUIT\r\n"), EOF_ },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_ACCEPTED,
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "greeting -ERR",
	    .scheme = "pop3",
	    .params = CERT,
	    .ev = { S("-ERR [SYS/TEMP] go away\r\n"), POP3_QUIT },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED },
	{ .what = "pipelined after +OK to STLS",
	    .scheme = "pop3",
	    .params = CERT,
	    .whole_only = true,
	    .ev = { S("+OK ready\r\n"), C("CAPA\r\n"), S(DV_CAPA1), C("STLS\r\n"),
		S("+OK Begin TLS\r\n+OK injected\r\n") },
	    .end = WANT_LEFTOVER },
	{ .what = "not POP3 after CAPA",
	    .scheme = "pop3",
	    .params = CERT,
	    .ev = { S("+OK ready\r\n"), C("CAPA\r\n"), S("* OK imap\r\n") },
	    .end = WANT_FAIL },
	{ .what = "closed in the CAPA list",
	    .scheme = "pop3",
	    .params = CERT,
	    .ev = { S("+OK ready\r\n"), C("CAPA\r\n"), S("+OK\r\nUSER\r\n"), EOF_ },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_UNKNOWN },
};

static void
pop3(void **state)
{
	(void)state;
	run_cases(pop3_cases, CP_NELEM(pop3_cases));
}

/* vsftpd 3.0.3 with ssl_enable, require_cert */
#define FTP_TO_TLS                                                                              \
	S("220 (vsFTPd 3.0.3)\r\n"), C("AUTH TLS\r\n"), S("234 Proceed with negotiation.\r\n"), \
	    TLS, C("PBSZ 0\r\n"), S("200 PBSZ set to 0.\r\n"), C("PROT P\r\n"),                 \
	    S("200 PROT now Private.\r\n")
#define FTP_QUIT C("QUIT\r\n"), S("221 Goodbye.\r\n")

static const struct tcase ftp_cases[] = {
	{ .what = "vsftpd: password asked (331)",
	    .scheme = "ftp",
	    .params = CERT,
	    .ev = { FTP_TO_TLS, C("USER anonymous\r\n"), S("331 Please specify the password.\r\n"),
		FTP_QUIT },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NOT_OFFERED,
	    .code = 331,
	    .text = "Please specify the password.",
	    .banner = "(vsFTPd 3.0.3)",
	    .sent_auth = true },
	{ .what = "logged in by the certificate (230)",
	    .scheme = "ftp",
	    .params = { .user = "alice", .have_cert = true },
	    .ev = { FTP_TO_TLS, C("USER alice\r\n"), S("230 Login successful.\r\n"), FTP_QUIT },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_ACCEPTED,
	    .code = 230,
	    .identity = "alice",
	    .sent_auth = true },
	{ .what = "refused (530)",
	    .scheme = "ftp",
	    .params = { .user = "alice" },
	    .ev = { FTP_TO_TLS, C("USER alice\r\n"),
		S("530 Non-anonymous sessions must use encryption.\r\n"), FTP_QUIT },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .code = 530 },
	{ .what = "AUTH TLS refused",
	    .scheme = "ftp",
	    .params = CERT,
	    .ev = { S("220 (vsFTPd 3.0.3)\r\n"), C("AUTH TLS\r\n"),
		S("530 Please login with USER and PASS.\r\n"), FTP_QUIT },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NO_TLS,
	    .code = 530 },
	{ .what = "PBSZ/PROT refused do not matter; RFC 959 multi-line greeting",
	    .scheme = "ftp",
	    .params = CERT,
	    .ev = { S("120 in a minute\r\n220-Welcome\r\n to the server\r\n220 ready\r\n"),
		C("AUTH TLS\r\n"), S("234 ok\r\n"), TLS, C("PBSZ 0\r\n"), S("503 later\r\n"),
		C("PROT P\r\n"), S("503 later\r\n"), C("USER anonymous\r\n"), S("230 ok\r\n"),
		C("QUIT\r\n"), EOF_ },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_ACCEPTED,
	    .banner = "Welcome to the server ready",
	    .identity = "anonymous",
	    .sent_auth = true },
	{ .what = "ftps",
	    .scheme = "ftps",
	    .params = CERT,
	    .ev = { S("220 ready\r\n"), C("PBSZ 0\r\n"), S("200 ok\r\n"), C("PROT P\r\n"),
		S("200 ok\r\n"), C("USER anonymous\r\n"), S("530 Login incorrect.\r\n"), FTP_QUIT },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .code = 530,
	    .sent_auth = true },
	{ .what = "greeting 421",
	    .scheme = "ftp",
	    .params = CERT,
	    .ev = { S("421 Too many users\r\n"), C("QUIT\r\n"), EOF_ },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .code = 421 },
	{ .what = "pipelined after 234",
	    .scheme = "ftp",
	    .params = CERT,
	    .whole_only = true,
	    .ev = { S("220 x\r\n"), C("AUTH TLS\r\n"), S("234 ok\r\n230 injected\r\n") },
	    .end = WANT_LEFTOVER },
	{ .what = "a user with CR LF",
	    .scheme = "ftp",
	    .params = { .user = "a\r\nDELE x" },
	    .ev = { { 0 } },
	    .end = WANT_FAIL },
};

static void
ftp(void **state)
{
	(void)state;
	run_cases(ftp_cases, CP_NELEM(ftp_cases));
}
/* LDAP messages as slapd 2.5 sends them (BER, generated by hand) */
#define L_STARTTLS_REQ                                                                     \
	"\x30\x1d\x02\x01\x01\x77\x18\x80\x16\x31\x2e\x33\x2e\x36\x2e\x31\x2e\x34\x2e\x31" \
	"\x2e\x31\x34\x36\x36\x2e\x32\x30\x30\x33\x37"
#define L_STARTTLS_OK                                                                      \
	"\x30\x24\x02\x01\x01\x78\x1f\x0a\x01\x00\x04\x00\x04\x00\x8a\x16\x31\x2e\x33\x2e" \
	"\x36\x2e\x31\x2e\x34\x2e\x31\x2e\x31\x34\x36\x36\x2e\x32\x30\x30\x33\x37"
#define L_STARTTLS_NO                                                                      \
	"\x30\x24\x02\x01\x01\x78\x1f\x0a\x01\x34\x04\x00\x04\x18\x43\x6f\x75\x6c\x64\x20" \
	"\x6e\x6f\x74\x20\x69\x6e\x69\x74\x69\x61\x6c\x69\x7a\x65\x20\x54\x4c\x53"
#define L_BIND2                                                                            \
	"\x30\x18\x02\x01\x02\x60\x13\x02\x01\x03\x04\x00\xa3\x0c\x04\x08\x45\x58\x54\x45" \
	"\x52\x4e\x41\x4c\x04\x00"
#define L_BIND1                                                                            \
	"\x30\x18\x02\x01\x01\x60\x13\x02\x01\x03\x04\x00\xa3\x0c\x04\x08\x45\x58\x54\x45" \
	"\x52\x4e\x41\x4c\x04\x00"
#define L_BIND2_AUTHZ                                                                      \
	"\x30\x35\x02\x01\x02\x60\x30\x02\x01\x03\x04\x00\xa3\x29\x04\x08\x45\x58\x54\x45" \
	"\x52\x4e\x41\x4c\x04\x1d\x64\x6e\x3a\x63\x6e\x3d\x61\x6c\x69\x63\x65\x2c\x64\x63" \
	"\x3d\x65\x78\x61\x6d\x70\x6c\x65\x2c\x64\x63\x3d\x6f\x72\x67"
#define L_BIND2_U                                                                          \
	"\x30\x1f\x02\x01\x02\x60\x1a\x02\x01\x03\x04\x00\xa3\x13\x04\x08\x45\x58\x54\x45" \
	"\x52\x4e\x41\x4c\x04\x07\x75\x3a\x61\x6c\x69\x63\x65"
#define L_BIND2_OK "\x30\x0c\x02\x01\x02\x61\x07\x0a\x01\x00\x04\x00\x04\x00"
#define L_BIND1_OK "\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00"
#define L_BIND2_48                                                                         \
	"\x30\x2e\x02\x01\x02\x61\x29\x0a\x01\x30\x04\x00\x04\x22\x53\x41\x53\x4c\x28\x2d" \
	"\x34\x29\x3a\x20\x6e\x6f\x20\x6d\x65\x63\x68\x61\x6e\x69\x73\x6d\x20\x61\x76\x61" \
	"\x69\x6c\x61\x62\x6c\x65\x3a\x20"
#define L_BIND2_49                                                                         \
	"\x30\x3e\x02\x01\x02\x61\x39\x0a\x01\x31\x04\x00\x04\x30\x53\x41\x53\x4c\x28\x2d" \
	"\x31\x33\x29\x3a\x20\x75\x73\x65\x72\x20\x6e\x6f\x74\x20\x66\x6f\x75\x6e\x64\x3a" \
	"\x20\x6e\x6f\x20\x73\x65\x63\x72\x65\x74\x20\x69\x6e\x20\x64\x61\x74\x61\x62\x61" \
	"\x73\x65\x87\x00"
#define L_BIND2_7 "\x30\x0c\x02\x01\x02\x61\x07\x0a\x01\x07\x04\x00\x04\x00"
#define L_WHOAMI3                                                                          \
	"\x30\x1e\x02\x01\x03\x77\x19\x80\x17\x31\x2e\x33\x2e\x36\x2e\x31\x2e\x34\x2e\x31" \
	"\x2e\x34\x32\x30\x33\x2e\x31\x2e\x31\x31\x2e\x33"
#define L_WHOAMI2                                                                          \
	"\x30\x1e\x02\x01\x02\x77\x19\x80\x17\x31\x2e\x33\x2e\x36\x2e\x31\x2e\x34\x2e\x31" \
	"\x2e\x34\x32\x30\x33\x2e\x31\x2e\x31\x31\x2e\x33"
#define L_WHOAMI3_OK                                                                       \
	"\x30\x2b\x02\x01\x03\x78\x26\x0a\x01\x00\x04\x00\x04\x00\x8b\x1d\x64\x6e\x3a\x63" \
	"\x6e\x3d\x61\x6c\x69\x63\x65\x2c\x64\x63\x3d\x65\x78\x61\x6d\x70\x6c\x65\x2c\x64" \
	"\x63\x3d\x6f\x72\x67"
#define L_WHOAMI2_OK                                                                       \
	"\x30\x29\x02\x01\x02\x78\x24\x0a\x01\x00\x04\x00\x04\x00\x8b\x1b\x64\x6e\x3a\x63" \
	"\x6e\x3d\x62\x6f\x62\x2c\x64\x63\x3d\x65\x78\x61\x6d\x70\x6c\x65\x2c\x64\x63\x3d" \
	"\x6f\x72\x67"
#define L_UNBIND4 "\x30\x05\x02\x01\x04\x42\x00"
#define L_UNBIND3 "\x30\x05\x02\x01\x03\x42\x00"
#define L_UNBIND2 "\x30\x05\x02\x01\x02\x42\x00"
#define L_NOTICE                                                                           \
	"\x30\x2e\x02\x01\x00\x78\x29\x0a\x01\x02\x04\x00\x04\x0a\x75\x6e\x65\x78\x70\x65" \
	"\x63\x74\x65\x64\x8a\x16\x31\x2e\x33\x2e\x36\x2e\x31\x2e\x34\x2e\x31\x2e\x31\x34" \
	"\x36\x36\x2e\x32\x30\x30\x33\x36"
#define L_WRONG_ID "\x30\x0c\x02\x01\x05\x78\x07\x0a\x01\x00\x04\x00\x04\x00"
#define L_WRONG_OP "\x30\x0c\x02\x01\x01\x65\x07\x0a\x01\x00\x04\x00\x04\x00"
#define L_BAD_ELEM "\x30\x0f\x02\x01\x01\x78\x0a\x0a\x01\x00\x04\x00\x04\x00\x99\x01\x78"
#define L_BIND2_OK_CTRL                                                                    \
	"\x30\x17\x02\x01\x02\x61\x07\x0a\x01\x00\x04\x00\x04\x00\xa0\x09\x30\x07\x04\x05" \
	"\x31\x2e\x32\x2e\x33"

#define LDAP_TO_TLS C(L_STARTTLS_REQ), S(L_STARTTLS_OK), TLS

static const struct tcase ldap_cases[] = {
	{ .what = "slapd binds by certificate; Who am I? names the DN",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { LDAP_TO_TLS, C(L_BIND2), S(L_BIND2_OK), C(L_WHOAMI3), S(L_WHOAMI3_OK),
		C(L_UNBIND4) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_ACCEPTED,
	    .code = 0,
	    .text = "success",
	    .identity = "dn:cn=alice,dc=example,dc=org",
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "an authzid from the URL user (a DN)",
	    .scheme = "ldap",
	    .params = { .user = "cn=alice,dc=example,dc=org", .have_cert = true },
	    .ev = { LDAP_TO_TLS, C(L_BIND2_AUTHZ), S(L_BIND2_OK_CTRL), C(L_WHOAMI3),
		S(L_WHOAMI3_OK), C(L_UNBIND4) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_ACCEPTED,
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "invalidCredentials with serverSaslCreds",
	    .scheme = "ldap",
	    .params = { .user = "alice", .have_cert = true },
	    .ev = { LDAP_TO_TLS, C(L_BIND2_U), S(L_BIND2_49), C(L_UNBIND3) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .code = 49,
	    .text = "invalidCredentials: SASL(-13): user not found",
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "inappropriateAuthentication",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { LDAP_TO_TLS, C(L_BIND2), S(L_BIND2_48), C(L_UNBIND3) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .code = 48,
	    .text = "inappropriateAuthentication: SASL(-4)",
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "authMethodNotSupported: EXTERNAL not offered",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { LDAP_TO_TLS, C(L_BIND2), S(L_BIND2_7), C(L_UNBIND3) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NOT_OFFERED,
	    .code = 7,
	    .text = "authMethodNotSupported",
	    .sent_auth = true },
	{ .what = "StartTLS refused (unavailable)",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { C(L_STARTTLS_REQ), S(L_STARTTLS_NO), C(L_UNBIND2) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NO_TLS,
	    .code = 52,
	    .text = "StartTLS: unavailable: Could not initialize TLS" },
	{ .what = "no certificate: the bind is tried and refused",
	    .scheme = "ldap",
	    .params = { .host = "h" },
	    .ev = { LDAP_TO_TLS, C(L_BIND2), S(L_BIND2_48), C(L_UNBIND3) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .code = 48,
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "ldaps",
	    .scheme = "ldaps",
	    .params = CERT,
	    .ev = { C(L_BIND1), S(L_BIND1_OK), C(L_WHOAMI2), S(L_WHOAMI2_OK), C(L_UNBIND3) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_ACCEPTED,
	    .identity = "dn:cn=bob,dc=example,dc=org",
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "a notice of disconnection",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { C(L_STARTTLS_REQ), S(L_NOTICE) },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_UNKNOWN,
	    .code = 2,
	    .text = "the server disconnected" },
	{ .what = "pipelined after the StartTLS response",
	    .scheme = "ldap",
	    .params = CERT,
	    .whole_only = true,
	    .ev = { C(L_STARTTLS_REQ), S(L_STARTTLS_OK L_BIND2_OK) },
	    .end = WANT_LEFTOVER },
	{ .what = "a wrong messageID",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { C(L_STARTTLS_REQ), S(L_WRONG_ID) },
	    .end = WANT_FAIL,
	    .text = "messageID 5" },
	{ .what = "an unexpected protocolOp",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { C(L_STARTTLS_REQ), S(L_WRONG_OP) },
	    .end = WANT_FAIL },
	{ .what = "an unexpected element in the response",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { C(L_STARTTLS_REQ), S(L_BAD_ELEM) },
	    .end = WANT_FAIL },
	{ .what = "an indefinite length",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { C(L_STARTTLS_REQ), S("\x30\x80\x02\x01\x01") },
	    .end = WANT_FAIL },
	{ .what = "a 2 GiB length fails at once",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { C(L_STARTTLS_REQ), S("\x30\x84\x7f\xff\xff\xff\x02") },
	    .end = WANT_FAIL },
	{ .what = "a five-byte length",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { C(L_STARTTLS_REQ), S("\x30\x85\x00\x00\x00\x00\x05") },
	    .end = WANT_FAIL },
	{ .what = "an inner length past its parent",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { C(L_STARTTLS_REQ), S("\x30\x05\x02\x09\x01\x78\x00") },
	    .end = WANT_FAIL },
	{ .what = "a negative messageID",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { C(L_STARTTLS_REQ),
		S("\x30\x0c\x02\x01\xff\x78\x07\x0a\x01\x00\x04\x00\x04\x00") },
	    .end = WANT_FAIL },
	{ .what = "closed mid-message",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { C(L_STARTTLS_REQ), S("\x30\x0c\x02\x01"), EOF_ },
	    .end = WANT_FAIL },
	{ .what = "not LDAP",
	    .scheme = "ldap",
	    .params = CERT,
	    .ev = { C(L_STARTTLS_REQ), S("220 smtp ESMTP\r\n") },
	    .end = WANT_FAIL },
};

static void
ldap(void **state)
{
	(void)state;
	run_cases(ldap_cases, CP_NELEM(ldap_cases));
}

/* Prosody 0.12 (c2s_require_encryption, mod_auth_ccert / XEP-0178) */
#define X_OPEN                                                       \
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' " \
	"xmlns:stream='http://etherx.jabber.org/streams' to='example.org' version='1.0'>"
#define X_HDR                                                                                  \
	"<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' " \
	"xml:lang='en' id='9c1b6f2e' from='example.org' version='1.0' xmlns='jabber:client'>"
#define X_FEAT1                                                                          \
	"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>" \
	"</starttls></stream:features>"
#define X_FEAT2                                                                    \
	"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"   \
	"<mechanism>EXTERNAL</mechanism><mechanism>PLAIN</mechanism></mechanisms>" \
	"<register xmlns='http://jabber.org/features/iq-register'/></stream:features>"
#define X_TO_TLS                                                                               \
	C(X_OPEN), S(X_HDR X_FEAT1), C("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), \
	    S("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), TLS, C(X_OPEN)
#define X_AUTH(ir) \
	C("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>" ir "</auth>")
#define X_CLOSE C("</stream:stream>")
#define XCERT                                                                       \
	{                                                                           \
		.host = "127.0.0.1", .servername = "example.org", .have_cert = true \
	}

static const struct tcase xmpp_cases[] = {
	{ .what = "prosody accepts EXTERNAL",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { X_TO_TLS, S(X_HDR X_FEAT2), X_AUTH("="),
		S("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"), X_CLOSE },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_ACCEPTED,
	    .capabilities = "SASL=EXTERNAL SASL=PLAIN register",
	    .banner = &X_HDR[21],
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "ejabberd refuses, double quotes, the reason's name and text",
	    .scheme = "xmpp",
	    .params = { .host = "example.org", .user = "alice@example.org", .have_cert = true },
	    .ev = { X_TO_TLS,
		S("<?xml version=\"1.0\"?>\n<stream:stream xmlns:stream=\"http://etherx.jabber.org/streams\" "
		  "from=\"example.org\" version=\"1.0\">\n"),
		S("<stream:features>\n <mechanisms xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\">\n"
		  "  <mechanism> EXTERNAL </mechanism>\n </mechanisms>\n</stream:features>"),
		X_AUTH("YWxpY2VAZXhhbXBsZS5vcmc="),
		S("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/>"
		  "<text xml:lang='en'>Certificate &lt;untrusted&gt; &amp; &#x41;</text></failure>"),
		X_CLOSE },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .text = "not-authorized: Certificate <untrusted> & &#x41;",
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "prosody answers an expired certificate with <false/>: refused",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { X_TO_TLS, S(X_HDR X_FEAT2), X_AUTH("="),
		S("<false xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"), X_CLOSE },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .text = "false",
	    .capabilities = "SASL=EXTERNAL SASL=PLAIN register",
	    .banner = &X_HDR[21],
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "a challenge answered, a second one aborted",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { X_TO_TLS, S(X_HDR X_FEAT2), X_AUTH("="),
		S("<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</challenge>"),
		C("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</response>"),
		S("<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
		C("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
		S("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>"),
		X_CLOSE },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .text = "aborted",
	    .offers_external = true,
	    .sent_auth = true },
	{ .what = "EXTERNAL not offered",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { X_TO_TLS,
		S(X_HDR "<stream:features><mechanisms><mechanism>PLAIN</mechanism>"
			"<mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>"),
		X_CLOSE },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NOT_OFFERED,
	    .capabilities = "SASL=PLAIN SASL=SCRAM-SHA-1" },
	{ .what = "STARTTLS refused with <failure/>",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN), S(X_HDR X_FEAT1),
		C("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
		S("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>") },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NO_TLS,
	    .text = "failure" },
	{ .what = "STARTTLS not offered",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN),
		S(X_HDR "<stream:features><mechanisms><mechanism>PLAIN</mechanism>"
			"</mechanisms></stream:features>"),
		X_CLOSE },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_NO_TLS },
	{ .what = "a stream error (host-unknown)",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN),
		S(X_HDR "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:"
			"xmpp-streams'/></stream:error>") },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_REFUSED,
	    .text = "host-unknown" },
	{ .what = "whitespace keepalives between elements",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN), S(X_HDR " \n "), S("\n" X_FEAT1),
		C("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
		S("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), TLS, C(X_OPEN), EOF_ },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_UNKNOWN },
	{ .what = "pipelined after <proceed/>",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .whole_only = true,
	    .ev = { C(X_OPEN), S(X_HDR X_FEAT1),
		C("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
		S("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><success/>") },
	    .end = WANT_LEFTOVER },
	{ .what = "a DOCTYPE (entity bomb)",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN), S("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>]>") },
	    .end = WANT_FAIL },
	{ .what = "an undeclared entity",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN), S(X_HDR "<stream:features>&lol9;</stream:features>") },
	    .end = WANT_FAIL },
	{ .what = "a comment",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN), S(X_HDR "<!-- hi -->") },
	    .end = WANT_FAIL },
	{ .what = "a processing instruction in the stream",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN), S(X_HDR "<?php x ?>") },
	    .end = WANT_FAIL },
	{ .what = "a mismatched end tag",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN), S(X_HDR "<stream:features><a></b></stream:features>") },
	    .end = WANT_FAIL },
	{ .what = "an unquoted attribute",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN), S(X_HDR "<stream:features a=b/>") },
	    .end = WANT_FAIL },
	{ .what = "'<' in an attribute value",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN), S(X_HDR "<stream:features a='<'/>") },
	    .end = WANT_FAIL },
	{ .what = "a NUL",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN), S(X_HDR "<stream:features>\0</stream:features>") },
	    .end = WANT_FAIL },
	{ .what = "not a stream",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN), S("<html><body>") },
	    .end = WANT_FAIL },
	{ .what = "an unexpected element",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN), S(X_HDR "<message/>") },
	    .end = WANT_FAIL,
	    .text = "unexpected <message>" },
	{ .what = "the stream closed before the features",
	    .scheme = "xmpp",
	    .params = XCERT,
	    .ev = { C(X_OPEN), S(X_HDR "</stream:stream>") },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_UNKNOWN },
	{ .what = "the to= domain is escaped",
	    .scheme = "xmpp",
	    .params = { .host = "a'b&c", .have_cert = true },
	    .ev = { C("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
		      "xmlns:stream='http://etherx.jabber.org/streams' to='a&apos;b&amp;c' version='1.0'>"),
		EOF_ },
	    .end = WANT_DONE,
	    .outcome = CP_PROTO_UNKNOWN },
};

static void
xmpp(void **state)
{
	(void)state;
	run_cases(xmpp_cases, CP_NELEM(xmpp_cases));
}

/* a case whose last server event is generated: pre, n copies of unit, tail */
static void
hostile(const char *what, const char *scheme, const struct ev *head, int nhead, const char *pre,
    const char *unit, size_t n, const char *tail, enum end want)
{
	struct tcase t = { .what = what, .scheme = scheme, .params = XCERT, .end = want };
	struct cp_buf big = { 0 };

	cp_buf_str(&big, pre);
	for (size_t i = 0; i < n; i++)
		cp_buf_str(&big, unit);
	cp_buf_str(&big, tail);
	if (nhead > 0)
		memcpy(t.ev, head, (size_t)nhead * sizeof(*head));
	t.ev[nhead] = (struct ev){ 'S', big.p, big.len };
	check_case(&t, 0);
	check_case(&t, 509);
	cp_buf_free(&big);
}

static void
hostile_servers(void **state)
{
	static const struct ev smtp_h[] = { S(PF_GREET), C(EHLO) };
	static const struct ev imap_h[] = { S("* OK hi\r\n"), C("a1 CAPABILITY\r\n") };
	static const struct ev pop3_h[] = { S("+OK hi\r\n"), C("CAPA\r\n") };
	static const struct ev xmpp_h[] = { C(X_OPEN), S(X_HDR) };
	static const struct ev ldap_h[] = { C(L_STARTTLS_REQ) };
	static char line[CP_PROTO_MAX_LINE + 8];

	(void)state;
	memset(line, 'a', sizeof(line) - 1);
	/* endless continuation lines end at CP_PROTO_MAX_LINES */
	hostile("smtp 600 lines", "smtp", smtp_h, 2, "", "250-x\r\n", 600, "", WANT_FAIL);
	hostile("imap 600 untagged", "imap", imap_h, 2, "", "* OK x\r\n", 600, "", WANT_FAIL);
	hostile("pop3 600 CAPA lines", "pop3", pop3_h, 2, "+OK\r\n", "X\r\n", 600, "", WANT_FAIL);
	hostile("ftp 600 lines", "ftp", NULL, 0, "", "220-x\r\n", 600, "", WANT_FAIL);
	hostile("ftp 600 RFC 959 text lines", "ftp", NULL, 0, "220-x\r\n", " text\r\n", 600, "",
	    WANT_FAIL);
	/* a line past the cap fails before the engine's pending cap */
	hostile("smtp long line", "smtp", smtp_h, 2, "", line, 1, "", WANT_FAIL);
	hostile("imap long line", "imap", imap_h, 2, "", line, 1, "", WANT_FAIL);
	hostile("pop3 long line", "pop3", pop3_h, 2, "+OK\r\n", line, 1, "", WANT_FAIL);
	hostile("ftp long line", "ftp", NULL, 0, "", line, 1, "", WANT_FAIL);
	/* a reply that never ends: long continuation lines reach the engine's cap */
	/* XML: deep nesting, a huge text run, thousands of children, many attributes */
	hostile("xmpp deep", "xmpp", xmpp_h, 2, "<stream:features>", "<a>", 40, "", WANT_FAIL);
	hostile("xmpp long text", "xmpp", xmpp_h, 2, "<stream:features>", line, 1, "", WANT_FAIL);
	hostile("xmpp many children", "xmpp", xmpp_h, 2, "<stream:features>", "<a/>", 5000, "",
	    WANT_FAIL);
	hostile("xmpp many attributes", "xmpp", xmpp_h, 2, "<stream:features", " a='1'", 40, "/>",
	    WANT_FAIL);
	/* BER: a length past what the engine keeps */
	hostile("ldap 64 KiB message", "ldap", ldap_h, 1, "\x30\x83\x01\x01\x01", "", 0, "",
	    WANT_FAIL);
}

static void
never_ending_reply(void **state)
{
	static const struct ev smtp_h[] = { S(PF_GREET), C(EHLO) };
	static const struct ev imap_h[] = { S("* OK hi\r\n"), C("a1 CAPABILITY\r\n") };
	struct cp_buf smtp_line = { 0 }, imap_line = { 0 };

	(void)state;
	cp_buf_str(&smtp_line, "250-");
	cp_buf_str(&imap_line, "* ");
	for (size_t i = 0; i < CP_PROTO_MAX_LINE - 10; i++) {
		cp_buf_str(&smtp_line, "b");
		cp_buf_str(&imap_line, "b");
	}
	cp_buf_str(&smtp_line, "\r\n");
	cp_buf_str(&imap_line, "\r\n");
	hostile("smtp endless long continuation lines", "smtp", smtp_h, 2, "", smtp_line.p, 9, "",
	    WANT_TOO_LONG);
	/* IMAP consumes untagged lines as they come: CP_PROTO_MAX_LINES ends them */
	hostile("imap endless long untagged lines", "imap", imap_h, 2, "", imap_line.p,
	    CP_PROTO_MAX_LINES + 1, "", WANT_FAIL);
	cp_buf_free(&smtp_line);
	cp_buf_free(&imap_line);
}

/* every layer is in the table, under its scheme, with the right port */
static void
registry(void **state)
{
	static const struct {
		const char *scheme, *port;
		bool implicit;
	} rows[] = {
		{ "smtp", "25", false },
		{ "SMTPS", "465", true },
		{ "imap", "143", false },
		{ "imaps", "993", true },
		{ "pop3", "110", false },
		{ "pop3s", "995", true },
		{ "ldap", "389", false },
		{ "ldaps", "636", true },
		{ "ftp", "21", false },
		{ "ftps", "990", true },
		{ "xmpp", "5222", false },
		{ "tls", "443", true },
	};

	(void)state;
	for (size_t i = 0; i < CP_NELEM(rows); i++) {
		const struct cp_proto_ops *ops = cp_proto_find(rows[i].scheme);

		assert_non_null(ops);
		assert_string_equal(ops->default_port, rows[i].port);
		assert_int_equal(ops->implicit_tls, rows[i].implicit);
	}
	assert_null(cp_proto_find("gopher"));
	assert_null(cp_proto_find(NULL));
}

/* proto_text.c on its own */

/*
 * A reply handed over one byte more at each call with a cursor gives, at each
 * length, what the whole prefix gives without one; and at the end want_rc,
 * want_code and want_text.
 */
static void
reply_dripped(const char *s, int want_rc, int want_code, const char *want_text)
{
	struct cp_proto_scan scan = { 0 };
	size_t len = strlen(s), u = 0, u2 = 0;
	int rc = 0, rc2, code = 0, code2 = 0;

	for (size_t n = 0; n <= len && rc == 0; n++) {
		struct cp_buf t = { 0 }, t2 = { 0 };

		rc = cp_proto_reply((const uint8_t *)s, n, &scan, &code, &t, &u);
		rc2 = cp_proto_reply((const uint8_t *)s, n, NULL, &code2, &t2, &u2);
		assert_int_equal(rc, rc2);
		if (rc == 1) {
			assert_int_equal(code, code2);
			assert_int_equal(u, u2);
			assert_string_equal(t.p, t2.p);
			assert_string_equal(t.p, want_text);
			assert_int_equal(code, want_code);
		}
		if (rc != 0) /* a cursor is zeroed once the reply is whole or malformed */
			assert_int_equal(scan.off, 0);
		cp_buf_free(&t);
		cp_buf_free(&t2);
	}
	assert_int_equal(rc, want_rc);
}

static void
text_helpers(void **state)
{
	struct cp_buf t = { 0 };
	size_t n, u;
	int code;

	(void)state;
	assert_int_equal(cp_proto_line((const uint8_t *)"abc\r\nx", 6, &n, &u), 1);
	assert_int_equal(n, 3);
	assert_int_equal(u, 5);
	assert_int_equal(cp_proto_line((const uint8_t *)"abc\n", 4, &n, &u), 1);
	assert_int_equal(n, 3);
	assert_int_equal(cp_proto_line((const uint8_t *)"abc", 3, &n, &u), 0);
	assert_int_equal(cp_proto_line((const uint8_t *)"a\0c\n", 4, &n, &u), -1);
	assert_int_equal(cp_proto_reply((const uint8_t *)"250-a\r\n250 b\r\nX", 15, NULL, &code, &t,
			     &u),
	    1);
	assert_int_equal(code, 250);
	assert_int_equal(u, 14);
	assert_string_equal(t.p, "a b");
	/* an incomplete reply leaves the text as it was */
	assert_int_equal(cp_proto_reply((const uint8_t *)"250-c\r\n250 d", 12, NULL, &code, &t, &u),
	    0);
	assert_string_equal(t.p, "a b");
	assert_int_equal(cp_proto_reply((const uint8_t *)"250\r\n", 5, NULL, &code, &t, &u), 1);
	assert_int_equal(cp_proto_reply((const uint8_t *)"25x ok\r\n", 8, NULL, &code, &t, &u), -1);
	assert_int_equal(cp_proto_reply((const uint8_t *)"2500 ok\r\n", 9, NULL, &code, &t, &u),
	    -1);
	cp_buf_reset(&t);
	reply_dripped("250-a\r\n250-b\r\n250 c\r\nX", 1, 250, "a b c");
	reply_dripped("211-Features:\r\n MDTM\r\n\tSIZE\r\n211 End\r\n", 1, 211,
	    "Features: MDTM SIZE End");
	reply_dripped("250-a\r\n251 b\r\n", -1, 0, NULL); /* the codes differ */
	reply_dripped("250-a\r\n250-b", 0, 0, NULL);	  /* never whole */
	cp_proto_sasl_ir(&t, "alice");
	cp_proto_sasl_ir(&t, NULL);
	cp_proto_sasl_ir(&t, "ab");
	assert_string_equal(t.p, "YWxpY2U==YWI=");
	assert_true(cp_proto_unsafe("a\nb"));
	assert_false(cp_proto_unsafe("a b"));
	assert_false(cp_proto_unsafe(NULL));
	cp_buf_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(registry),
		cmocka_unit_test(text_helpers),
		cmocka_unit_test(smtp),
		cmocka_unit_test(imap),
		cmocka_unit_test(pop3),
		cmocka_unit_test(ftp),
		cmocka_unit_test(ldap),
		cmocka_unit_test(xmpp),
		cmocka_unit_test(hostile_servers),
		cmocka_unit_test(never_ending_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
