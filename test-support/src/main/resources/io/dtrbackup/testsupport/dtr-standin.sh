#!/bin/sh
# Stand-in for docker/dtr:@VERSION@, built by dtr-backup's test-support (DtrSimulator).
# Only `backup` is implemented. It checks its flags the way DTR @VERSION@ does, checks the UCP URL,
# CA, credentials and replica ID against /dtr/clusters (hashes written at image build time: no
# Docker socket needed in here), then prints a pre-built, byte-for-byte fixed metadata tar on stdout
# (cat of tar fragments + end-of-archive trailer). Log lines go to stderr.
V='@VERSION@'
HAS_IGNORE_EVENTS=@IGNORE_EVENTS@
HAS_IGNORE_SCAN=@IGNORE_SCAN@
HAS_ONLINE_FOLDER=@ONLINE_FOLDER@
TABLES='@TABLES@'
DEBUG=0

log() { printf '%s[0000] %s\n' "$1" "$2" >&2; }
debug() { if [ "$DEBUG" = 1 ]; then log DEBU "$1"; fi; }
fatal() { log FATA "$1"; exit 1; }
usage() {
  cat >&2 <<'USAGE'
NAME:
   docker/dtr backup - Create a backup of DTR

USAGE:
   docker run -i --rm --log-driver none docker/dtr backup [command options] > backup.tar

OPTIONS:
   --ucp-url value              The UCP URL including domain and port
   --ucp-username value         The UCP administrator username
   --ucp-password value         The UCP administrator password [$UCP_PASSWORD]
   --ucp-ca value               Use a PEM-encoded TLS CA certificate for UCP
   --ucp-insecure-tls           Disable TLS verification for UCP (not for production)
   --existing-replica-id value  The ID of an existing DTR replica
   --offline-backup             Take the backup without locking the databases
   --debug                      Enable debug mode for additional logs
USAGE
  if [ "$HAS_IGNORE_EVENTS" = 1 ]; then echo '   --ignore-events-table        Do not back up the events table' >&2; fi
  if [ "$HAS_IGNORE_SCAN" = 1 ]; then echo '   --ignore-scan-data           Do not back up the vulnerability scan data' >&2; fi
}
incorrect() { printf 'Incorrect Usage: %s\n\n' "$1" >&2; usage; exit 1; }
h() { printf '%s' "$1" | sha256sum | cut -c1-64; }

cmd=${1-}
if [ $# -gt 0 ]; then shift; fi
case "$cmd" in
  backup) ;;
  -v|--version|version) echo "docker/dtr $V (dtr-backup simulator)"; exit 0 ;;
  ''|help|-h|--help) echo "docker/dtr $V (dtr-backup simulator): commands: backup" >&2; exit 0 ;;
  *) printf "No help topic for '%s'\n" "$cmd" >&2; exit 3 ;;
esac

url=; user=; pw=; pw_flag=0; ca=; have_ca=0; insecure=0; rid=; offline=0; ign_ev=0; ign_scan=0
while [ $# -gt 0 ]; do
  arg=$1; shift
  case "$arg" in
    --*) flag=${arg#--} ;;
    -*) flag=${arg#-} ;;
    *) incorrect "unexpected argument: $arg" ;;
  esac
  val=; hasval=0
  case "$flag" in *=*) val=${flag#*=}; flag=${flag%%=*}; hasval=1 ;; esac
  case "$flag" in
    ucp-url|ucp-username|ucp-password|ucp-ca|existing-replica-id)
      if [ $hasval = 0 ]; then
        if [ $# -eq 0 ]; then incorrect "flag needs an argument: -$flag"; fi
        val=$1; shift
      fi
      case "$flag" in
        ucp-url) url=$val ;;
        ucp-username) user=$val ;;
        ucp-password) pw=$val; pw_flag=1 ;;
        ucp-ca) ca=$val; have_ca=1 ;;
        existing-replica-id) rid=$val ;;
      esac ;;
    ucp-insecure-tls|offline-backup|debug|ignore-events-table|ignore-scan-data)
      b=1
      if [ $hasval = 1 ]; then
        case "$val" in
          true|TRUE|True|t|T|1) b=1 ;;
          false|FALSE|False|f|F|0) b=0 ;;
          *) incorrect "invalid boolean value \"$val\" for -$flag" ;;
        esac
      fi
      case "$flag" in
        ucp-insecure-tls) insecure=$b ;;
        offline-backup) offline=$b ;;
        debug) DEBUG=$b ;;
        ignore-events-table) if [ "$HAS_IGNORE_EVENTS" != 1 ]; then incorrect "flag provided but not defined: -$flag"; fi; ign_ev=$b ;;
        ignore-scan-data) if [ "$HAS_IGNORE_SCAN" != 1 ]; then incorrect "flag provided but not defined: -$flag"; fi; ign_scan=$b ;;
      esac ;;
    *) incorrect "flag provided but not defined: -$flag" ;;
  esac
done
if [ $pw_flag = 0 ]; then pw=${UCP_PASSWORD-}; fi

[ -n "$url" ] || fatal "Missing required argument: --ucp-url"
[ -n "$user" ] || fatal "Missing required argument: --ucp-username"
[ -n "$pw" ] || fatal "Missing required argument: --ucp-password (or the UCP_PASSWORD environment variable)"
if [ "$have_ca" = 0 ] && [ "$insecure" = 0 ]; then
  fatal "Failed to get UCP CA: one of --ucp-ca or --ucp-insecure-tls is required"
fi
[ -n "$rid" ] || fatal "Missing required argument: --existing-replica-id"

log INFO "Beginning backup"
# A real export runs on the DTR node for a while; benchmarks can model that (DtrSimulator exportSeconds).
if [ -s /dtr/export-seconds ]; then sleep "$(cat /dtr/export-seconds)"; fi
nurl=${url%/}
case "$nurl" in *://*) ;; *) nurl="https://$nurl" ;; esac
debug "UCP URL: $nurl, username: $user, replica: $rid, DTR $V"
uh=$(h "$nurl"); userh=$(h "$user"); pwh=$(h "$pw")
cah=$(printf '%s' "$ca" | tr -d ' \t\r\n' | sha256sum | cut -c1-64)

# best: 0 no UCP at that URL, 1 CA rejected, 2 credentials rejected, 3 unknown replica, 4 ok
best=0
while read -r run e_url e_user e_pw e_ca e_reps; do
  [ -n "$run" ] || continue
  [ "$e_url" = "$uh" ] || continue
  if [ $best -lt 1 ]; then best=1; fi
  if [ "$insecure" = 0 ] && [ "$e_ca" != "$cah" ]; then continue; fi
  if [ $best -lt 2 ]; then best=2; fi
  if [ "$e_user" != "$userh" ] || [ "$e_pw" != "$pwh" ]; then continue; fi
  if [ $best -lt 3 ]; then best=3; fi
  case ",$e_reps," in *",$rid,"*) best=4; break ;; esac
done < /dtr/clusters

if [ "$insecure" = 1 ]; then
  log WARN "Skipping UCP certificate validation (--ucp-insecure-tls): not for production"
else
  log INFO "Validating UCP cert"
fi
case $best in
  0) fatal "Failed to get UCP CA: Get \"$nurl/ca\": dial tcp: lookup ${nurl#*://}: no such host" ;;
  1) fatal "Failed to get UCP CA: x509: certificate signed by unknown authority" ;;
esac
log INFO "Connecting to UCP"
[ $best -ge 3 ] || fatal "Failed to get UCP CA: invalid credentials: UCP rejected username or password (401 Unauthorized)"
if [ "$insecure" = 0 ]; then log INFO "UCP cert validation successful"; fi
[ $best -ge 4 ] || fatal "No replica found with id $rid"
log INFO "Checking replica $rid"

top="dtr-backup-v$V"
if [ "$offline" = 0 ] && [ "$HAS_ONLINE_FOLDER" = 1 ]; then top="$top-online"; fi
if [ "$offline" = 1 ]; then log INFO "Offline backup: reading the databases without locking them"; fi
files="/dtr/frag/$top/00-head"
for t in $TABLES; do
  case "$t" in
    events) if [ "$ign_ev" = 1 ]; then log INFO "Skipping table events (--ignore-events-table)"; continue; fi ;;
    scanned_*) if [ "$ign_scan" = 1 ]; then log INFO "Skipping table $t (--ignore-scan-data)"; continue; fi ;;
  esac
  debug "Backing up table $t"
  files="$files /dtr/frag/$top/$t"
done
log INFO "Backing up rethink tables to $top"
# shellcheck disable=SC2086 # the paths hold no blanks
cat $files /dtr/frag/trailer || fatal "Failed to write the backup to stdout"
log INFO "Backup finished"
