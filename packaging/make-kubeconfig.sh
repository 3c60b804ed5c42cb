#!/usr/bin/env bash
# Makes the kubeconfig kube-lb-agent reads (/etc/kube-lb-agent/kubeconfig) from
# the token of its ServiceAccount, made by rbac.yaml. Run it where kubectl
# works as a cluster admin; copy the result to every node.
#
#   kubectl apply -f rbac.yaml
#   ./make-kubeconfig.sh --server https://10.0.0.10:6443 -o kube-lb-agent.kubeconfig
#   install -m 0640 -o root -g kube-lb-agent kube-lb-agent.kubeconfig /etc/kube-lb-agent/kubeconfig   # on each node
#
# Which token — the trade-off:
#   default    a bound token from the TokenRequest API (`kubectl create token
#              --duration`, 1 year unless --duration says otherwise). Not stored
#              in the cluster, tied to the ServiceAccount (deleting it revokes
#              the token), but it EXPIRES: the API server may also cap the
#              duration (--service-account-max-token-expiration). Run this
#              script again before the expiry it prints; with --token-path the
#              token lives in its own file (kubeconfig `tokenFile`), and the
#              agent picks a replaced file up on its next 401, without a restart.
#   --secret   a long-lived token kept in a Secret of type
#              kubernetes.io/service-account-token: never expires, valid
#              until the Secret is deleted (that is how to revoke it). Simpler to
#              run, but a bearer credential that lives for ever, is readable by
#              whoever can read Secrets in that namespace, and must be rotated
#              by hand. Kubernetes recommends bound tokens.
#
# The token is never put on a command line (other users could read it in ps):
# the kubeconfig is written directly, mode 0600 (0640 root:kube-lb-agent when
# written under /etc/kube-lb-agent as root).
set -euo pipefail

KUBECTL=${KUBECTL:-kubectl}
sa=kube-lb-agent
ns=kube-system
lease_ns=kube-system
duration=8760h
mode=bound
token_in=
token_path=
server=
ca_file=
context=
output=kube-lb-agent.kubeconfig
check=1

usage() {
  cat <<'EOF'
Usage: make-kubeconfig.sh [options]
  -o, --output FILE          kubeconfig to write (default: ./kube-lb-agent.kubeconfig)
      --server URL           API server URL the nodes reach (default: the current context's)
      --ca-file FILE         CA bundle of the API server (default: the current context's)
      --context NAME         kubectl context to read the cluster from and to ask for the token
  -n, --namespace NS         namespace of the ServiceAccount (default: kube-system)
      --service-account NAME (default: kube-lb-agent)
      --duration D           lifetime of a bound token (default: 8760h = 1 year)
      --secret               use a long-lived Secret-based token instead of a bound one
      --token-file FILE      use the token in FILE (made elsewhere); no token is requested
      --token-path PATH      keep the token in PATH, referenced as tokenFile (rotate by running again)
      --lease-namespace NS   kubernetes.lease_namespace, for the check (default: kube-system)
      --no-check             do not try the new kubeconfig against the API server
  -h, --help
Environment: KUBECTL (default: kubectl), KUBECONFIG (the admin's).
EOF
}

die() { echo "make-kubeconfig: $*" >&2; exit 1; }
need() { if [ $# -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value"; fi; }

while [ $# -gt 0 ]; do
  case "$1" in
    -o|--output) need "$@"; output=$2; shift 2 ;;
    --server) need "$@"; server=$2; shift 2 ;;
    --ca-file) need "$@"; ca_file=$2; shift 2 ;;
    --context) need "$@"; context=$2; shift 2 ;;
    -n|--namespace) need "$@"; ns=$2; shift 2 ;;
    --service-account) need "$@"; sa=$2; shift 2 ;;
    --duration) need "$@"; duration=$2; shift 2 ;;
    --secret) mode=secret; shift ;;
    --token-file) need "$@"; token_in=$2; mode='token-file'; shift 2 ;;
    --token-path) need "$@"; token_path=$2; shift 2 ;;
    --lease-namespace) need "$@"; lease_ns=$2; shift 2 ;;
    --no-check) check=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

k() { if [ -n "$context" ]; then "$KUBECTL" --context "$context" "$@"; else "$KUBECTL" "$@"; fi; }

# ---- the cluster: server and CA ---------------------------------------------
if [ -z "$server" ]; then
  server=$(k config view --minify --raw -o jsonpath='{.clusters[0].cluster.server}') || die "cannot read the current kubectl context (set KUBECONFIG or --context, or give --server)"
  [ -n "$server" ] || die "the current kubectl context has no server; give --server"
fi
case "$server" in
  https://127.*|https://localhost*|https://\[::1\]*)
    echo "make-kubeconfig: warning: server $server is a loopback address: it works only on the node that runs the API server; give --server with an address every node reaches" >&2 ;;
esac
if [ -n "$ca_file" ]; then
  [ -r "$ca_file" ] || die "cannot read --ca-file $ca_file"
  ca_data=$(base64 -w0 < "$ca_file")
else
  ca_data=$(k config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
  if [ -z "$ca_data" ]; then
    f=$(k config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority}')
    [ -n "$f" ] || die "the current context has no CA (insecure-skip-tls-verify?): give --ca-file"
    [ -r "$f" ] || die "cannot read the context's CA file $f"
    ca_data=$(base64 -w0 < "$f")
  fi
fi

# ---- the token --------------------------------------------------------------
expiry=
case "$mode" in
  token-file)
    [ -r "$token_in" ] || die "cannot read --token-file $token_in"
    token=$(tr -d ' \r\n' < "$token_in")
    ;;
  bound)
    token=$(k create token "$sa" -n "$ns" --duration "$duration") || die "kubectl create token failed (does ServiceAccount $ns/$sa exist? kubectl apply -f rbac.yaml)"
    # The API server may shorten the duration: read the expiry from the token itself.
    payload=$(printf '%s' "$token" | cut -d. -f2 | tr '_-' '/+')
    while [ $(( ${#payload} % 4 )) -ne 0 ]; do payload="$payload="; done
    exp=$(printf '%s' "$payload" | base64 -d 2>/dev/null | sed -n 's/.*"exp":\([0-9]*\).*/\1/p')
    [ -n "$exp" ] && expiry=$(date -u -d "@$exp" '+%Y-%m-%dT%H:%M:%SZ')
    ;;
  secret)
    secret="$sa-token"
    k apply -f - >/dev/null <<EOF || die "cannot create Secret $ns/$secret"
apiVersion: v1
kind: Secret
metadata:
  name: $secret
  namespace: $ns
  annotations:
    kubernetes.io/service-account.name: $sa
type: kubernetes.io/service-account-token
EOF
    token=
    for _ in $(seq 1 30); do
      data=$(k get secret "$secret" -n "$ns" -o jsonpath='{.data.token}' 2>/dev/null || true)
      if [ -n "$data" ]; then token=$(printf '%s' "$data" | base64 -d); break; fi
      sleep 1
    done
    [ -n "$token" ] || die "the token controller did not fill Secret $ns/$secret within 30 s"
    ;;
esac
[ -n "$token" ] || die "empty token"

# ---- the kubeconfig ---------------------------------------------------------
umask 077
dir=$(dirname -- "$output")
mkdir -p -- "$dir"
tmp=$(mktemp "$dir/.kube-lb-agent-kubeconfig.XXXXXX")
trap 'rm -f -- "$tmp" "${tmp_token:-}"' EXIT
if [ -n "$token_path" ]; then
  case "$token_path" in /*) ;; *) die "--token-path must be absolute (the agent reads it from the node)" ;; esac
  mkdir -p -- "$(dirname -- "$token_path")"
  tmp_token=$(mktemp "$(dirname -- "$token_path")/.token.XXXXXX")
  printf '%s' "$token" > "$tmp_token"
  # Checked with the token where it is now; pointed at its final place after.
  cred="      tokenFile: $tmp_token"
else
  cred="      token: $token"
fi
cat > "$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: kubernetes
    cluster:
      server: $server
      certificate-authority-data: $ca_data
users:
  - name: $sa
    user:
$cred
contexts:
  - name: kube-lb-agent
    context:
      cluster: kubernetes
      user: $sa
current-context: kube-lb-agent
EOF
"$KUBECTL" --kubeconfig "$tmp" config view >/dev/null || die "kubectl cannot read the kubeconfig just written"

if [ "$check" = 1 ]; then
  # What the agent does first: list Nodes, and its peers' Leases.
  kc() { "$KUBECTL" --kubeconfig "$tmp" --request-timeout=10s "$@" </dev/null; }
  ok=1
  kc get --raw '/api/v1/nodes?limit=1' >/dev/null || ok=0
  kc get --raw "/apis/coordination.k8s.io/v1/namespaces/$lease_ns/leases?limit=1" >/dev/null || ok=0
  [ "$ok" = 1 ] || die "the new kubeconfig cannot list Nodes or Leases in $lease_ns (is rbac.yaml applied, and --server right?); --no-check to write it anyway"
fi

if [ -n "$token_path" ]; then
  sed -i "s#^      tokenFile: .*#      tokenFile: $token_path#" "$tmp"
  mv -f -- "$tmp_token" "$token_path"
fi
mv -f -- "$tmp" "$output"
trap - EXIT
# Under /etc/kube-lb-agent as root: readable by the agent's group, as the package installs its config.
case "$(cd "$dir" && pwd -P)" in
  /etc/kube-lb-agent)
    if [ "$(id -u)" = 0 ] && getent group kube-lb-agent >/dev/null; then
      chown root:kube-lb-agent -- "$output" ${token_path:+"$token_path"} && chmod 0640 -- "$output" ${token_path:+"$token_path"}
    fi ;;
esac

echo "wrote $output (ServiceAccount $ns/$sa, server $server)"
[ -n "$token_path" ] && echo "token in $token_path (tokenFile)"
if [ -n "$expiry" ]; then
  echo "the token expires at $expiry: run this script again before then"
elif [ "$mode" = secret ]; then
  echo "long-lived token from Secret $ns/$sa-token: delete that Secret to revoke it"
fi
echo "on each node: install -m 0640 -o root -g kube-lb-agent $output /etc/kube-lb-agent/kubeconfig"
