/* Attribute macros shared by every certpick header. */
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
