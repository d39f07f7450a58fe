#!/usr/bin/env bash
# Deploys Bourse. Two targets:
#
#   --target k8s     build one image per workspace package (infra/docker/Dockerfile) and
#                    the browser terminal's (infra/docker/web-terminal/Dockerfile),
#                    tag them with the git SHA, push it, apply a kustomize overlay with those
#                    tags, wait for every rollout, smoke-check, and roll back
#                    (kubectl rollout undo) when a rollout or the smoke check fails.
#   --target local   new code on the local stack started by `make up`, without downtime:
#                    sync the environment, migrate, declare, then restart every program one
#                    at a time, each HTTP replica drained from nginx first
#                    (scripts/stack.py rollout).
#
# `scripts/deploy.sh --help` explains every option; --dry-run prints every command instead
# of running it. Can be sourced (BOURSE_DEPLOY_SOURCED=1) to reuse its functions in tests.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The workspace packages that become images, and the workloads of the overlays.
PACKAGES=(
    bourse-user-service
    bourse-trader-service
    bourse-order-service
    bourse-stock-service
    bourse-portfolio-service
    bourse-auto-service
    bourse-notifications-service
    bourse-exchange-server
)
DEPLOYMENTS=(user trader order stock portfolio auto notifications)
# The browser terminal: its own image (static files + nginx) and Deployment.
WEB_IMAGE=bourse-web-terminal
WEB_DOCKERFILE=infra/docker/web-terminal/Dockerfile
K8S_DEPLOYMENTS=("${DEPLOYMENTS[@]}" web-terminal)
INFRA_STATEFULSETS=(postgres rabbitmq)  # waited for first: the services need them
APP_STATEFULSETS=(exchange)

TARGET=""
REGISTRY=""
OVERLAY="dev"
TAG=""
NAMESPACE=""
CONTEXT=""
TIMEOUT=600
SMOKE_URL=""
DRY_RUN=0
BUILD=1
PUSH=1
ROLLBACK=1
ALLOW_DIRTY=0
PLATFORM=""

usage() {
    cat <<EOF
Usage: scripts/deploy.sh --target k8s|local [options]

Targets
  --target k8s        build, tag (git SHA), push, apply k8s/overlays/<overlay>, wait,
                      smoke-check, roll back on failure
  --target local      zero-downtime rolling restart of the stack started by \`make up\`
                      (bootstrap, migrate, declare, scripts/stack.py rollout, wait);
                      BOURSE_STACK=e2e: the test suite's instance

Options for --target k8s
  --registry REG      where images are pushed: REG/<package>:<tag> (required unless
                      --no-build --no-push with images already in the cluster)
  --overlay NAME      k8s/overlays/NAME: dev (default) or prod
  --tag TAG           image tag (default: the git SHA of HEAD, 12 characters; with
                      uncommitted changes the tool refuses unless --allow-dirty, which
                      tags <sha>-dirty)
  --allow-dirty       deploy a working tree with uncommitted changes (tag <sha>-dirty)
  --namespace NS      override the overlay's namespace (default: bourse-dev for dev,
                      bourse for prod)
  --context CTX       kubectl context (default: the current one)
  --timeout SECONDS   for each rollout, the database Job and the smoke check (default 600)
  --smoke-url URL     the public base URL (the Ingress), e.g. https://api.bourse.example:
                      GET URL/api/v1/stocks must answer 200. Without it the smoke check
                      goes through the API server's service proxy only.
  --platform P        docker build --platform (e.g. linux/amd64)
  --no-build          do not build images (they exist: REG/<package>:<tag>)
  --no-push           do not push images (a local cluster that sees the local images)
  --no-rollback       leave a failed rollout as it is (for debugging)

Options for --target local
  --timeout SECONDS   per program: ready again after its restart (default 600)

Common
  --dry-run           print every command (and the generated kustomization) without
                      running any of them; no cluster, registry or docker is needed
  -h, --help          this help

Exit status: 0 deployed; 1 failed (after a rollback unless --no-rollback); 2 usage.

Examples
  scripts/deploy.sh --target k8s --overlay prod --registry ghcr.io/acme --smoke-url https://api.bourse.example
  scripts/deploy.sh --target k8s --overlay dev --no-push --registry kind.local --dry-run
  scripts/deploy.sh --target local
EOF
}

say() { echo "deploy: $*" >&2; }
die() {
    echo "deploy: $*" >&2
    exit 1
}
usage_error() {
    echo "deploy: $*" >&2
    echo "deploy: see scripts/deploy.sh --help" >&2
    exit 2
}

# Runs a command, or prints it (shell-quoted, prefixed by "+ ") under --dry-run.
run() {
    if [ "$DRY_RUN" -eq 1 ]; then
        local quoted
        printf -v quoted '%q ' "$@"
        echo "+ ${quoted% }"
        return 0
    fi
    "$@"
}

kubectl_() { run kubectl "${KUBECTL_ARGS[@]}" "$@"; }

# -- git --------------------------------------------------------------------------------------

git_sha() { git -C "$ROOT" rev-parse --short=12 HEAD; }

git_dirty() { [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]; }

default_tag() {
    local sha
    sha=$(git_sha)
    if git_dirty; then
        if [ "$ALLOW_DIRTY" -eq 1 ]; then
            say "the working tree has uncommitted changes: tagging ${sha}-dirty"
            echo "${sha}-dirty"
            return 0
        fi
        die "the working tree has uncommitted changes: commit them (the tag is the git SHA) or pass --allow-dirty"
    fi
    echo "$sha"
}

# -- k8s ----------------------------------------------------------------------------------------

image_ref() { # package -> the reference deployed
    if [ -n "$REGISTRY" ]; then echo "${REGISTRY%/}/$1:$TAG"; else echo "$1:$TAG"; fi
}

build_images() {
    local package
    for package in "${PACKAGES[@]}"; do
        local build=(docker build --file "$ROOT/infra/docker/Dockerfile"
            --build-arg "PACKAGE=$package"
            --label "org.opencontainers.image.revision=$(git_sha)"
            --tag "$(image_ref "$package")")
        if [ -n "$PLATFORM" ]; then build+=(--platform "$PLATFORM"); fi
        run "${build[@]}" "$ROOT"
    done
    local web=(docker build --file "$ROOT/$WEB_DOCKERFILE"
        --label "org.opencontainers.image.revision=$(git_sha)"
        --tag "$(image_ref "$WEB_IMAGE")")
    if [ -n "$PLATFORM" ]; then web+=(--platform "$PLATFORM"); fi
    run "${web[@]}" "$ROOT"
}

push_images() {
    local package
    for package in "${PACKAGES[@]}" "$WEB_IMAGE"; do
        run docker push "$(image_ref "$package")"
    done
}

# A kustomization (in a temporary directory) on top of the overlay: the same manifests, with
# every image at REG/<package>:<tag> (and the namespace, when overridden). Nothing in the
# repository changes (no `kustomize edit` on tracked files).
write_kustomization() { # dir (var/deploy.XXXXXX: kustomize wants a relative path)
    local dir=$1 package
    {
        echo "# generated by scripts/deploy.sh: overlay $OVERLAY, images tagged $TAG"
        echo "apiVersion: kustomize.config.k8s.io/v1beta1"
        echo "kind: Kustomization"
        if [ -n "$NAMESPACE" ]; then echo "namespace: $NAMESPACE"; fi
        echo "resources:"
        echo "  - ../../k8s/overlays/$OVERLAY"
        echo "images:"
        for package in "${PACKAGES[@]}" "$WEB_IMAGE"; do
            echo "  - name: $package"
            if [ -n "$REGISTRY" ]; then echo "    newName: ${REGISTRY%/}/$package"; fi
            echo "    newTag: \"$TAG\""
        done
    } >"$dir/kustomization.yaml"
}

overlay_namespace() {
    if [ -n "$NAMESPACE" ]; then
        echo "$NAMESPACE"
    elif [ "$OVERLAY" = "dev" ]; then
        echo "bourse-dev"
    else
        echo "bourse"
    fi
}

# Which workloads exist before the apply: only those can be rolled back.
PREVIOUS=()
record_previous() {
    local kind name
    PREVIOUS=()
    for name in "${K8S_DEPLOYMENTS[@]}"; do
        if [ "$DRY_RUN" -eq 1 ] || kubectl "${KUBECTL_ARGS[@]}" get "deployment/$name" >/dev/null 2>&1; then
            PREVIOUS+=("deployment/$name")
        fi
    done
    for name in "${APP_STATEFULSETS[@]}"; do
        kind=statefulset
        if [ "$DRY_RUN" -eq 1 ] || kubectl "${KUBECTL_ARGS[@]}" get "$kind/$name" >/dev/null 2>&1; then
            PREVIOUS+=("$kind/$name")
        fi
    done
}

wait_rollouts() {
    local name
    for name in "${INFRA_STATEFULSETS[@]}"; do
        kubectl_ rollout status "statefulset/$name" --timeout="${TIMEOUT}s" || return 1
    done
    kubectl_ wait --for=condition=complete job/bourse-db-init --timeout="${TIMEOUT}s" || return 1
    for name in "${APP_STATEFULSETS[@]}"; do
        kubectl_ rollout status "statefulset/$name" --timeout="${TIMEOUT}s" || return 1
    done
    for name in "${K8S_DEPLOYMENTS[@]}"; do
        kubectl_ rollout status "deployment/$name" --timeout="${TIMEOUT}s" || return 1
    done
}

# GET through the API server's service proxy (no port-forward, no extra image); every
# Service of k8s/base/services/ names its port "http".
proxy_get() { # service path
    local path
    path="/api/v1/namespaces/$(overlay_namespace)/services/$1:http/proxy$2"
    if [ "$DRY_RUN" -eq 1 ]; then
        kubectl_ get --raw "$path"
    else
        kubectl_ get --raw "$path" >/dev/null
    fi
}

smoke_check() {
    local name
    for name in "${K8S_DEPLOYMENTS[@]}"; do
        proxy_get "$name" /readyz || {
            say "smoke: $name is not ready"
            return 1
        }
    done
    proxy_get stock /api/v1/stocks || {
        say "smoke: GET /api/v1/stocks (stock service) failed"
        return 1
    }
    if [ -n "$SMOKE_URL" ]; then
        run curl --fail --silent --show-error --max-time 10 --retry 5 --retry-delay 3 \
            --retry-all-errors --output /dev/null "${SMOKE_URL%/}/api/v1/stocks" || {
            say "smoke: GET ${SMOKE_URL%/}/api/v1/stocks through the Ingress failed"
            return 1
        }
        run curl --fail --silent --show-error --max-time 10 --retry 5 --retry-delay 3 \
            --retry-all-errors --output /dev/null "${SMOKE_URL%/}/" || {
            say "smoke: GET ${SMOKE_URL%/}/ (the browser terminal) through the Ingress failed"
            return 1
        }
    fi
}

rollback() {
    local workload
    if [ "${#PREVIOUS[@]}" -eq 0 ]; then
        say "nothing to roll back to (first deployment): the workloads stay as they are"
        return 0
    fi
    for workload in "${PREVIOUS[@]}"; do
        kubectl_ rollout undo "$workload" || say "could not roll back $workload"
    done
    for workload in "${PREVIOUS[@]}"; do
        kubectl_ rollout status "$workload" --timeout="${TIMEOUT}s" || say "$workload is not ready after the rollback"
    done
}

deploy_k8s() {
    KUBECTL_ARGS=()
    if [ -n "$CONTEXT" ]; then KUBECTL_ARGS+=(--context "$CONTEXT"); fi
    KUBECTL_ARGS+=(--namespace "$(overlay_namespace)")
    [ -d "$ROOT/k8s/overlays/$OVERLAY" ] || usage_error "no overlay k8s/overlays/$OVERLAY"
    if [ -z "$REGISTRY" ] && { [ "$BUILD" -eq 1 ] || [ "$PUSH" -eq 1 ]; }; then
        usage_error "--registry is required to push images (or --no-build --no-push)"
    fi
    if [ "$DRY_RUN" -eq 0 ]; then
        local tool
        for tool in kubectl git; do
            command -v "$tool" >/dev/null || die "$tool is not installed"
        done
        if [ "$BUILD" -eq 1 ] || [ "$PUSH" -eq 1 ]; then
            command -v docker >/dev/null || die "docker is not installed"
        fi
    fi
    [ -n "$TAG" ] || TAG=$(default_tag)
    say "overlay $OVERLAY, namespace $(overlay_namespace), images ${REGISTRY:-<local>}/<package>:$TAG"

    if [ "$BUILD" -eq 1 ]; then build_images; fi
    if [ "$PUSH" -eq 1 ]; then push_images; fi

    local dir
    mkdir -p "$ROOT/var"
    dir=$(mktemp -d "$ROOT/var/deploy.XXXXXX")
    # shellcheck disable=SC2064  # expand now: the directory of this run
    trap "rm -rf '$dir'" EXIT
    write_kustomization "$dir"
    if [ "$DRY_RUN" -eq 1 ]; then
        echo "# $dir/kustomization.yaml:"
        sed 's/^/#   /' "$dir/kustomization.yaml"
    fi

    record_previous
    # The database Job's pod template is immutable: delete the finished one, the apply
    # creates it again (create-databases.sh is idempotent).
    kubectl_ delete job bourse-db-init --ignore-not-found
    kubectl_ apply --kustomize "$dir" --server-side --force-conflicts --field-manager=bourse-deploy

    local failed=""
    if ! wait_rollouts; then
        failed="a rollout did not complete in ${TIMEOUT}s"
    elif ! smoke_check; then
        failed="the smoke check failed"
    fi
    if [ "$DRY_RUN" -eq 1 ]; then
        echo "# on failure (rollout or smoke check), unless --no-rollback:"
        rollback
        say "dry run: nothing was run"
        return 0
    fi
    if [ -n "$failed" ]; then
        say "FAILED: $failed"
        if [ "$ROLLBACK" -eq 1 ]; then
            say "rolling back to the previous revisions"
            rollback
        fi
        return 1
    fi
    say "deployed $TAG to $(overlay_namespace) (overlay $OVERLAY)"
}

# -- local --------------------------------------------------------------------------------------

# New code on the running `make up` stack without downtime: every HTTP service runs
# replicas behind its nginx upstream (scripts/stack.py), so one replica is drained from
# nginx, restarted and ready again while the others serve; exchange shards restart one at
# a time (their commands wait in their queue). Migrations run first and must be
# backward-compatible (the previous release runs against the new schema meanwhile).
deploy_local() {
    local py="$ROOT/.venv/bin/python" stack=(scripts/stack.py) svc
    cd "$ROOT"
    if [ "$DRY_RUN" -eq 0 ]; then
        [ -x "$py" ] || die "no environment yet: run make up first"
        "$py" "${stack[@]}" running || die "the local stack is not running: make up starts it"
    fi
    # the locked environment (new dependencies); the workspace packages are editable
    run scripts/bootstrap.sh
    local migrations=()
    if [ "$DRY_RUN" -eq 0 ]; then
        while IFS= read -r svc; do
            migrations+=("$svc")
        done < <("$py" "${stack[@]}" list --migrations)
    else
        migrations=("${DEPLOYMENTS[@]}")  # those that have migrations, in a real run
    fi
    # every service at once (each has its own database); all migrate before any declares
    local action pids pid failed
    for action in migrate declare; do
        pids=() failed=0
        for svc in "${migrations[@]}"; do
            run "$py" "${stack[@]}" exec "$svc" "$action" &
            pids+=("$!")
        done
        for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
        [ "$failed" -eq 0 ] || die "$action failed for at least one service (see above)"
    done
    run scripts/web-terminal.sh build  # nginx serves servers/web-terminal/dist as it is
    run "$py" "${stack[@]}" rollout --timeout "$TIMEOUT"
    run "$py" "${stack[@]}" wait --timeout "$TIMEOUT"
    if [ "$DRY_RUN" -eq 1 ]; then say "dry run: nothing was run"; else say "the local stack runs the new code"; fi
}

# -- main -----------------------------------------------------------------------------------------

parse_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --target) TARGET=${2:?--target needs a value}; shift 2 ;;
            --registry) REGISTRY=${2:?--registry needs a value}; shift 2 ;;
            --overlay) OVERLAY=${2:?--overlay needs a value}; shift 2 ;;
            --tag) TAG=${2:?--tag needs a value}; shift 2 ;;
            --namespace) NAMESPACE=${2:?--namespace needs a value}; shift 2 ;;
            --context) CONTEXT=${2:?--context needs a value}; shift 2 ;;
            --timeout) TIMEOUT=${2:?--timeout needs a value}; shift 2 ;;
            --smoke-url) SMOKE_URL=${2:?--smoke-url needs a value}; shift 2 ;;
            --platform) PLATFORM=${2:?--platform needs a value}; shift 2 ;;
            --dry-run) DRY_RUN=1; shift ;;
            --no-build) BUILD=0; shift ;;
            --no-push) PUSH=0; shift ;;
            --no-rollback) ROLLBACK=0; shift ;;
            --allow-dirty) ALLOW_DIRTY=1; shift ;;
            -h | --help) usage; exit 0 ;;
            *) usage_error "unknown option: $1" ;;
        esac
    done
    [[ "$TIMEOUT" =~ ^[0-9]+$ ]] || usage_error "--timeout takes seconds"
}

main() {
    parse_args "$@"
    case "$TARGET" in
        k8s) deploy_k8s ;;
        local) deploy_local ;;
        "") usage_error "--target is required (k8s or local)" ;;
        *) usage_error "unknown target: $TARGET (k8s or local)" ;;
    esac
}

if [ -z "${BOURSE_DEPLOY_SOURCED:-}" ]; then
    main "$@"
fi
