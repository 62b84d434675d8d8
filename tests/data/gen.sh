#!/bin/sh
# Builds the committed fixtures of tests/data/candidate/ and tests/data/check/
# with the openssl command line (not certpick's generator), so the unit tests
# read files made by an independent tool. Output is committed: tests never run
# this. Regenerate with: tests/data/gen.sh  (needs openssl 3; keys are fresh,
# so every fixture changes; dates are fixed so tests can inject "now"
# 2030-01-01, inside every validity except the expired/future ones).
set -eu
cd "$(dirname "$0")"
PW=test
o() { openssl "$@" >/dev/null 2>&1 || { echo "gen.sh: openssl $*" >&2; exit 1; }; }

# ca NAME ISSUER|- KEYTYPE: a CA certificate valid 2020..2040
ca() {
	name=$1 issuer=$2 kt=$3
	key "$name" "$kt"
	printf '[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' >"$T/$name.ext"
	sign "$name" "$issuer" "/O=certpick fixtures/CN=Fixture $name" "$T/$name.ext" \
		20200101000000Z 20400101000000Z sha256
}

key() {
	case $2 in
	ec) o genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" ;;
	rsa) o genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" ;;
	rsa1024) o genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$1.key" ;;
	ed25519) o genpkey -algorithm ED25519 -out "$1.key" ;;
	esac
}

# sign NAME ISSUER|- SUBJECT EXTFILE START END MD
sign() {
	name=$1 issuer=$2 subj=$3 ext=$4 start=$5 end=$6 md=$7
	cad=$T/ca-$name
	mkdir -p "$cad"
	: >"$cad/index.txt"
	echo 1000 >"$cad/serial"
	printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=%s\npolicy=p\ncopy_extensions=none\nunique_subject=no\npreserve=yes\n[p]\norganizationName=optional\ncommonName=supplied\n' \
		"$cad" "$cad" "$cad" "$md" >"$cad/ca.cnf"
	o req -new -key "$name.key" -subj "$subj" -out "$T/$name.csr"
	if [ "$issuer" = - ]; then
		o ca -batch -selfsign -config "$cad/ca.cnf" -keyfile "$name.key" -in "$T/$name.csr" \
			-out "$name.pem" -startdate "$start" -enddate "$end" -extfile "$ext" \
			-extensions v3 -notext
	else
		o ca -batch -config "$cad/ca.cnf" -cert "$issuer.pem" -keyfile "$issuer.key" \
			-in "$T/$name.csr" -out "$name.pem" -startdate "$start" -enddate "$end" \
			-extfile "$ext" -extensions v3 -notext
	fi
}

# leaf NAME ISSUER KEYTYPE EXTLINES [START END MD]
leaf() {
	name=$1 issuer=$2 kt=$3 ext=$4
	key "$name" "$kt"
	printf '[v3]\nbasicConstraints=CA:FALSE\n%b' "$ext" >"$T/$name.ext"
	sign "$name" "$issuer" "/O=certpick fixtures/CN=$name" "$T/$name.ext" \
		"${5:-20200101000000Z}" "${6:-20400101000000Z}" "${7:-sha256}"
}

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
GOOD='keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n'

# ---- candidate/: every format the loader reads ----
rm -rf candidate && mkdir candidate && cd candidate
ca root - ec
ca int root ec
leaf leaf int ec "$GOOD"
leaf other root ec "$GOOD"
o pkey -in leaf.key -out leaf-pkcs8.key
o pkey -in leaf.key -traditional -out leaf-trad.key
o pkey -in leaf.key -aes-128-cbc -passout pass:$PW -out leaf-enc.key
o pkey -in leaf.key -traditional -aes-128-cbc -passout pass:$PW -out leaf-trad-enc.key
o x509 -in leaf.pem -outform DER -out leaf.der
o pkey -in leaf.key -outform DER -out leaf-key.der
o pkcs8 -topk8 -in leaf.key -outform DER -v2 aes-128-cbc -passout pass:$PW -out leaf-enc-key.der
cat leaf.pem int.pem >leaf-chain.pem
cat leaf.pem leaf.key >leaf-with-key.pem
cat leaf.pem other.key >leaf-mismatch.pem
o pkcs12 -export -in leaf-chain.pem -inkey leaf.key -passout pass:$PW -out leaf.p12
o pkcs12 -export -in leaf.pem -inkey leaf.key -passout pass: -out leaf-nopass.p12
o pkcs12 -export -in leaf.pem -inkey leaf.key -keyex -passout pass:$PW -out leaf-keyex.p12
o pkcs12 -export -in leaf.pem -inkey leaf.key -keysig -passout pass:$PW -out leaf-keysig.p12
o pkcs12 -export -in leaf.pem -inkey leaf.key -CSP "Microsoft Enhanced Cryptographic Provider v1.0" \
	-passout pass:$PW -out leaf-csp.p12
o pkcs12 -export -in leaf.pem -inkey leaf.key -legacy -passout pass:$PW -out leaf-legacy.p12 ||
	true
o pkcs12 -export -in leaf.pem -nokeys -passout pass:$PW -out leaf-nokey.p12
head -c 400 leaf-chain.pem >truncated.pem
head -c 1500 /dev/urandom >junk.bin 2>/dev/null || true
printf 'this is not a certificate\n' >junk.txt
: >empty.pem
# a folder: cert and key in separate files, plus junk, plus a nested folder
mkdir -p dir/sub
cp leaf.pem dir/a-leaf.pem
cp leaf.key dir/b-leaf.key
cp other.pem dir/sub/other.crt
cp int.pem dir/sub/int.pem
cp junk.txt dir/c-junk.pem
cp junk.txt dir/notes.txt
rm -f root.srl
cd ..

# ---- check/: one certificate per check rule ----
rm -rf check && mkdir check && cd check
ca root - ec
ca int root ec
ca rogue - ec
leaf good int ec "$GOOD"
leaf good-rsa root rsa "$GOOD"
leaf good-ed25519 root ed25519 "$GOOD"
leaf noku root ec 'extendedKeyUsage=clientAuth\n'
leaf noeku root ec 'keyUsage=critical,digitalSignature\n'
leaf kuenc root rsa 'keyUsage=critical,keyEncipherment\nextendedKeyUsage=clientAuth\n'
leaf serveronly root ec 'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n'
leaf anyeku root ec 'keyUsage=critical,digitalSignature\nextendedKeyUsage=anyExtendedKeyUsage\n'
leaf client-any root ec 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth,anyExtendedKeyUsage\n'
leaf expired root ec "$GOOD" 20200101000000Z 20210101000000Z
leaf future root ec "$GOOD" 20990101000000Z 21000101000000Z
leaf untrusted rogue ec "$GOOD"
leaf sha1 root rsa "$GOOD" 20200101000000Z 20400101000000Z sha1
leaf rsa1024 root rsa1024 "$GOOD"
leaf ca-as-client root ec 'keyUsage=critical,digitalSignature,keyCertSign\nextendedKeyUsage=clientAuth\n'
sed -i 's/basicConstraints=CA:FALSE/basicConstraints=critical,CA:TRUE/' "$T/ca-as-client.ext"
sign ca-as-client root "/O=certpick fixtures/CN=ca-as-client" "$T/ca-as-client.ext" \
	20200101000000Z 20400101000000Z sha256
# self-signed end-entity certificate
key selfsigned ec
printf '[v3]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$T/selfsigned.ext"
sign selfsigned - "/O=certpick fixtures/CN=selfsigned" "$T/selfsigned.ext" \
	20200101000000Z 20400101000000Z sha256
for n in good good-rsa good-ed25519 noku noeku kuenc serveronly anyeku client-any expired \
	future untrusted sha1 rsa1024 ca-as-client selfsigned; do
	cat "$n.pem" "$n.key" >"$n-with-key.pem"
done
cat good.pem int.pem good.key >good-chain-key.pem
o pkcs12 -export -in good.pem -inkey good.key -certfile int.pem -keyex -passout pass:$PW -out keyex.p12
o pkcs12 -export -in good.pem -inkey good.key -certfile int.pem \
	-CSP "Microsoft Enhanced Cryptographic Provider v1.0" -passout pass:$PW -out csp.p12
o pkcs12 -export -in good.pem -inkey good.key -certfile int.pem \
	-CSP "Microsoft Enhanced RSA and AES Cryptographic Provider" -passout pass:$PW -out csp-aes.p12
o pkcs12 -export -in good.pem -inkey good.key -certfile int.pem \
	-CSP "Microsoft Software Key Storage Provider" -passout pass:$PW -out csp-ksp.p12
cd ..

# ---- cross/: a cross-signed intermediate, for path building ----
# rootX and rootY each sign the same intermediate (same subject and key);
# int-by-x-expired is a third, expired, cross-certificate from rootX.
rm -rf cross && mkdir cross && cd cross
ca rootX - ec
ca rootY - ec
key int ec
printf '[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >"$T/int.ext"
sign int rootX "/O=certpick fixtures/CN=Fixture cross int" "$T/int.ext" \
	20200101000000Z 20400101000000Z sha256
mv int.pem int-by-x.pem
sign int rootY "/O=certpick fixtures/CN=Fixture cross int" "$T/int.ext" \
	20200101000000Z 20400101000000Z sha256
mv int.pem int-by-y.pem
sign int rootX "/O=certpick fixtures/CN=Fixture cross int" "$T/int.ext" \
	20200101000000Z 20210101000000Z sha256
mv int.pem int-by-x-expired.pem
cp int-by-y.pem int.pem
leaf leaf int ec "$GOOD"
rm int.pem
cat leaf.pem leaf.key >leaf-with-key.pem
cat int-by-x-expired.pem int-by-y.pem >ints-expired-first.pem
cat int-by-x.pem int-by-y.pem >ints.pem
cd ..
echo "gen.sh: fixtures written to $(pwd)/{candidate,check,cross}"
