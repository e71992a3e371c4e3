# Helpers for .ci/run: idempotent installs and service start-ups. Later issues add services here
# (PostgreSQL, chain nodes) so that .ci/run stays a short list of what the tests need.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
# ensure_debian_packages PKG...: installs the Debian packages that are missing; no-op otherwise.
ensure_debian_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "ci: installing Debian packages: ${missing[*]}"
  if [ $apt_updated -eq 0 ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

step() {
  echo
  echo "=== ci: $* ==="
}
