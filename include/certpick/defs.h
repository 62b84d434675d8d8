/*
 * Attribute macros shared by every certpick header.
 *
 * CERTPICK_API is on every function declared in the include/certpick headers, and only
 * there: the library is compiled with -fvisibility=hidden, and libcertpick.so
 * exports a function when it carries CERTPICK_API and src/lib/certpick.map
 * lists it. CERTPICK_MUST_CHECK is on every public function that can fail
 * (0 / -1 or a pointer / NULL with a struct certpick_error, a lookup that
 * fails on an unknown name): ignoring its result is a compiler warning.
 */
#ifndef CERTPICK_DEFS_H
#define CERTPICK_DEFS_H

#if defined(__GNUC__) || defined(__clang__)
#define CERTPICK_API __attribute__((visibility("default")))
#define CERTPICK_MUST_CHECK __attribute__((warn_unused_result))
#define CERTPICK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CERTPICK_API
#define CERTPICK_MUST_CHECK
#define CERTPICK_PRINTF(a, b)
#endif

#endif
