#!/usr/bin/env bash
# Build tests/data/apk/demoshop.apk, the real APK the tests read (piiaudit apk-info, record/analyze --apk).
#
# It is the stand-in app's own manifest (hooks/standin/AndroidManifest.xml) compiled into binary XML
# with a resource table and no code, aligned and signed (v1 + v2) with a throwaway key made for the
# build: an APK any Android tool reads as one. The result is committed, so the tests and CI never
# need these tools; run this again only when the manifest changes.
#
# Tools (Debian packages, as root: apt-get install aapt zipalign apksigner android-framework-res;
# keytool comes with the JDK that `make setup` installs):
#   aapt (1:10.0.0+r36), zipalign, apksigner, /usr/share/android-framework-res/framework-res.apk as -I.
# What the tests compare the APK with is written next to it by the same run (demoshop.expected.json):
# the file's SHA-256 (sha256sum) and the signing certificate's SHA-256 as apksigner prints it.
# A rebuild makes a new key, so the certificate (and the file hash) change; the manifest's
# content does not.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
framework=${FRAMEWORK_RES:-/usr/share/android-framework-res/framework-res.apk}
for tool in aapt zipalign apksigner keytool; do
  command -v "$tool" >/dev/null || { echo "missing $tool (see the header of $0)" >&2; exit 1; }
done
[ -f "$framework" ] || { echo "missing $framework (apt-get install android-framework-res)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
aapt package -f -M "$repo/hooks/standin/AndroidManifest.xml" -I "$framework" -F "$work/unsigned.apk"
zipalign -f 4 "$work/unsigned.apk" "$work/aligned.apk"
keytool -genkeypair -keystore "$work/key.p12" -storetype PKCS12 -storepass demoshop -keypass demoshop \
  -alias demoshop -keyalg RSA -keysize 2048 -validity 10000 \
  -dname "CN=Demo Shop test key, O=piiaudit tests, C=CN" >/dev/null 2>&1
apksigner sign --ks "$work/key.p12" --ks-pass pass:demoshop --ks-key-alias demoshop \
  --v1-signing-enabled true --v2-signing-enabled true --out "$here/demoshop.apk" "$work/aligned.apk"
rm -f "$here/demoshop.apk.idsig"

cert=$(apksigner verify --print-certs "$here/demoshop.apk" | sed -n 's/^Signer #1 certificate SHA-256 digest: //p')
file=$(sha256sum "$here/demoshop.apk" | cut -d' ' -f1)
printf '{\n  "file_sha256": "%s",\n  "certificate_sha256": ["%s"],\n  "built_with": "%s; %s; apksigner %s"\n}\n' \
  "$file" "$cert" "$(aapt version)" "zipalign (Debian)" "$(apksigner --version)" > "$here/demoshop.expected.json"
echo "built $here/demoshop.apk ($(stat -c %s "$here/demoshop.apk") bytes), certificate $cert"
