# Sourced helper: reach another Debian suite through a temporary apt entry built from this machine's
# own apt configuration, with private lists/cache/sources so the system's apt state is untouched.
# No archive host is written into the repository: the URI is read from /etc/apt at run time.

# Prints the first non-security archive URI of this machine's apt sources (empty if none).
debian_archive_uri() {
  local f uri=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i}' "$f" | grep -v -- '-security' | sed -n 1p)
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {print $i; exit}}' /etc/apt/sources.list | grep -v -- '-security' | sed -n 1p)
  fi
  printf '%s\n' "$uri"
}

# apt_private DIR TYPE SUITE: writes DIR/sources.list with one "TYPE <uri> SUITE main" entry, sets
# the array APT_PRIVATE_OPTS for apt-get/apt-cache, and runs the private apt-get update.
# Returns 1 (with a message on stderr) when there is no URI or the update fails.
apt_private() {
  local dir=$1 type=$2 suite=$3 uri keyring=/usr/share/keyrings/debian-archive-keyring.gpg signed=""
  uri=$(debian_archive_uri)
  if [ -z "$uri" ]; then
    echo "[apt] no archive URI found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list" >&2
    return 1
  fi
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/parts"
  [ -f "$keyring" ] && signed="[signed-by=$keyring] "
  echo "$type ${signed}$uri $suite main" >"$dir/sources.list"
  APT_PRIVATE_OPTS=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o "Dir::Etc::sourceparts=$dir/parts"
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o "APT::Sandbox::User=root")
  apt-get "${APT_PRIVATE_OPTS[@]}" -qq update >&2 || {
    echo "[apt] apt-get update for the temporary $type $suite entry failed" >&2
    return 1
  }
}
