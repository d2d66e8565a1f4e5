#!/usr/bin/env bash
# Installs a released mcpguard binary: picks the archive for this OS and CPU,
# checks it against the release's SHA-256 file, and puts `mcpguard` in
# DIR/bin. The GitHub Action runs it; so can anyone:
#
#   curl -fsSL https://github.com/mcpguard/mcpguard/releases/download/v0.1.0/install-mcpguard.sh \
#     | bash -s -- --version v0.1.0 --dir "$HOME/.local"
#
# Options (each also read from the environment variable named after it):
#   --version REF   a release tag (v0.1.0) or bare version (0.1.0); a branch or a
#                   commit SHA has no release binary          (MCPGUARD_VERSION)
#   --dir DIR       install into DIR/bin (default ~/.local)   (MCPGUARD_DIR)
#   --releases URL  where release assets are, one directory per tag
#                   (default $MCPGUARD_REPO/releases/download) (MCPGUARD_RELEASES)
#   --target T      the Rust target triple (default: detected) (MCPGUARD_TARGET)
#
# Exit codes: 0 installed; 3 no release binary for this ref or platform (the
# Action then builds from source); 1 anything else, a checksum mismatch
# included: a download that fails verification is never installed, and never
# a reason to fall back.
set -euo pipefail

# The project's home; tests/home.rs keeps it equal to Cargo.toml's repository.
MCPGUARD_REPO="${MCPGUARD_REPO:-https://github.com/mcpguard/mcpguard}"

version="${MCPGUARD_VERSION:-}"
dir="${MCPGUARD_DIR:-$HOME/.local}"
releases="${MCPGUARD_RELEASES:-$MCPGUARD_REPO/releases/download}"
target="${MCPGUARD_TARGET:-}"

die() { echo "install-mcpguard: $*" >&2; exit 1; }
no_release() { echo "install-mcpguard: $*" >&2; exit 3; }

while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="${2:?--version needs a value}"; shift 2 ;;
    --dir) dir="${2:?--dir needs a value}"; shift 2 ;;
    --releases) releases="${2:?--releases needs a value}"; shift 2 ;;
    --target) target="${2:?--target needs a value}"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done

# Only a version tag names a release; `main`, `feature/x` or a SHA do not.
case "$version" in
  v[0-9]*.[0-9]*.[0-9]*) tag="$version" ;;
  [0-9]*.[0-9]*.[0-9]*) tag="v$version" ;;
  "") no_release "no version given" ;;
  *) no_release "\`$version\` is not a release tag (vX.Y.Z)" ;;
esac
case "${tag#v}" in
  *[!0-9.A-Za-z-]*) no_release "\`$version\` is not a release tag (vX.Y.Z)" ;;
esac

# The archive names follow the release workflow (cargo-dist): one per target
# triple in dist-workspace.toml, .tar.gz on Unix, .zip on Windows.
if [ -z "$target" ]; then
  os="$(uname -s)"
  arch="$(uname -m)"
  case "$arch" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) no_release "no release binary for CPU $arch" ;;
  esac
  case "$os" in
    Linux) target="$arch-unknown-linux-musl" ;;
    Darwin) target="$arch-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT)
      [ "$arch" = x86_64 ] || no_release "no release binary for Windows on $arch"
      target="x86_64-pc-windows-msvc" ;;
    *) no_release "no release binary for $os" ;;
  esac
fi
case "$target" in
  *windows*) archive="mcpguard-$target.zip"; exe="mcpguard.exe" ;;
  *) archive="mcpguard-$target.tar.gz"; exe="mcpguard" ;;
esac

fetch() { # URL FILE; status 3 when the asset does not exist
  if command -v curl >/dev/null 2>&1; then
    curl --proto '=https,file' --tlsv1.2 -fsSL --retry 3 -o "$2" "$1" && return 0
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1" && return 0
  else
    die "neither curl nor wget is installed"
  fi
  return 3
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    die "no sha256sum or shasum to verify the download"
  fi
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
base="$releases/$tag"
fetch "$base/$archive" "$work/$archive" \
  || no_release "no $archive in release $tag ($base)"
fetch "$base/$archive.sha256" "$work/$archive.sha256" \
  || die "release $tag has $archive but no $archive.sha256: refusing to install it unverified"

# The checksum file is `HASH  NAME` (or `HASH *NAME`): the first word counts.
expected="$(tr -d '\r' < "$work/$archive.sha256" | awk 'NR == 1 {print tolower($1)}')"
actual="$(sha256_of "$work/$archive")"
case "$expected" in
  *[!0-9a-f]* | "") die "$archive.sha256 holds no SHA-256" ;;
esac
[ "${#expected}" -eq 64 ] || die "$archive.sha256 holds no SHA-256"
if [ "$expected" != "$actual" ]; then
  die "checksum mismatch for $archive: expected $expected, got $actual; not installed"
fi

mkdir -p "$work/x"
case "$archive" in
  *.zip)
    # Git Bash on Windows runners may lack unzip; PowerShell is always there.
    if command -v unzip >/dev/null 2>&1; then
      (cd "$work/x" && unzip -q "../$archive") || die "cannot unpack $archive"
    else
      powershell -NoProfile -Command "Expand-Archive -LiteralPath '$work/$archive' -DestinationPath '$work/x'" \
        || die "cannot unpack $archive"
    fi ;;
  *) tar -xzf "$work/$archive" -C "$work/x" || die "cannot unpack $archive" ;;
esac
# cargo-dist puts the binary at the top or under mcpguard-TARGET/.
bin="$(find "$work/x" -type f -name "$exe" | head -n 1)"
[ -n "$bin" ] || die "$archive holds no $exe"
mkdir -p "$dir/bin"
install -m 0755 "$bin" "$dir/bin/$exe"
echo "install-mcpguard: mcpguard $tag ($target) installed in $dir/bin"
