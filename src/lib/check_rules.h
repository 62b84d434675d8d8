/*
 * The rules of `check`, one function per rule family (check_rules.c).
 * Library-internal: check.c calls them; tests reach them through
 * certpick_check_run().
 */
#ifndef CERTPICK_CHECK_RULES_H
#define CERTPICK_CHECK_RULES_H

#include "certpick/check.h"

/* Key, KU, EKU, validity, key size, CA flag, self-signature, .pfx attributes. */
int cp_check_leaf(const struct certpick_candidate *c, const struct certpick_check_options *opts,
    struct certpick_findings *f, struct certpick_error *err);
/* Weak signature hashes and weak keys along the chosen path. */
int cp_check_path(const struct certpick_candidate *c, const struct certpick_path *p,
    struct certpick_findings *f, struct certpick_error *err);

#endif
