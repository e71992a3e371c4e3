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

# ensure_postgres: starts the machine's PostgreSQL 15 cluster (installed, not running) and creates
# the test role and database. Exports WEBWALLET_TEST_DATABASE_URL for the PostgreSQL test suite.
ensure_postgres() {
  local url="postgres://webwallet:webwallet@127.0.0.1:5432/webwallet_test"
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    ensure_debian_packages postgresql
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    local version
    version=$(pg_lsclusters --no-header | awk 'NR==1 {print $1}')
    if [ -z "$version" ]; then
      as_root pg_createcluster 15 main
      version=15
    fi
    echo "ci: starting PostgreSQL $version"
    as_root pg_ctlcluster "$version" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  as_root su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='webwallet'\"" | grep -q 1 ||
    as_root su postgres -c "psql -qc \"CREATE ROLE webwallet LOGIN PASSWORD 'webwallet' CREATEDB\""
  as_root su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='webwallet_test'\"" | grep -q 1 ||
    as_root su postgres -c "psql -qc \"CREATE DATABASE webwallet_test OWNER webwallet\""
  export WEBWALLET_TEST_DATABASE_URL="$url"
}
