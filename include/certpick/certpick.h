/*
 * certpick: TLS client-certificate authentication, explained.
 *
 * Umbrella header. libcertpick does the work and never prints, exits or reads
 * the environment: every function returns data (result structs, findings with
 * stable reason ids) or fills a caller-owned struct certpick_error. The
 * certpick command-line tool renders those results as text or JSON.
 *
 * Headers, one concept each:
 *   error.h      the tool failed (struct certpick_error, enum certpick_errc)
 *   reason.h     the tool worked and the answer is "no" (findings, stable ids)
 *   dn.h         distinguished names: RFC 4514 text, DER, comparison
 *   outtext.h    text from outside made safe for terminals, logs and JSON
 *   certreq.h    what a server asked for (CertificateRequest model + parser)
 *   candidate.h  a client certificate, its key and the chain found with it
 *   trust.h      trust stores and chain building (every path, cross-signed too)
 *   check.h      is a candidate fit for client authentication
 *   pki.h        throwaway test PKIs (tests and `certpick demo`)
 *   get.h        one HTTPS request with a chosen client certificate
 *   openssl.h    optional bridge: X509 * / EVP_PKEY * in and out
 */
#ifndef CERTPICK_CERTPICK_H
#define CERTPICK_CERTPICK_H

#define CERTPICK_VERSION_MAJOR 0
#define CERTPICK_VERSION_MINOR 1
#define CERTPICK_VERSION_PATCH 0
#define CERTPICK_VERSION "0.1.0"

#include "certpick/defs.h"

#include "certpick/error.h"
#include "certpick/file.h"
#include "certpick/reason.h"
#include "certpick/dn.h"
#include "certpick/outtext.h"
#include "certpick/certreq.h"
#include "certpick/probe.h"
#include "certpick/candidate.h"
#include "certpick/trust.h"
#include "certpick/pki.h"
#include "certpick/check.h"
#include "certpick/serve.h"
#include "certpick/get.h"
#include "certpick/capture.h"

#endif
