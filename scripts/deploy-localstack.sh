#!/usr/bin/env bash
# Deploys ECHO onto LocalStack with the sidecars of docker-compose.localstack.yml, or tears it down:
#   LOCALSTACK_AUTH_TOKEN=... scripts/deploy-localstack.sh              deploy (stage dev)
#   STAGE=demo LOCALSTACK_AUTH_TOKEN=... scripts/deploy-localstack.sh   another stage
#   LOCALSTACK_AUTH_TOKEN=... scripts/deploy-localstack.sh --destroy    cdklocal destroy, compose down
#   scripts/deploy-localstack.sh --dry-run [--destroy]                  print each command, run none
# Needs Docker with Compose v2 and a LocalStack auth token (compose reads it for `down` too). The CDK
# app is synthesized with `-c localstack=true`: no VPC, Aurora, ElastiCache or API Gateway; the
# functions use the postgres and redis sidecars and reach LocalStack at http://localstack:4566
# (see infra/config.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
}

DRY_RUN=0
MODE=deploy
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY_RUN=1 ;;
    --destroy) MODE=destroy ;;
    -h | --help) usage; exit 0 ;;
    *) echo "deploy-localstack: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

STAGE="${STAGE:-dev}"
COMPOSE=(docker compose -f docker-compose.localstack.yml)
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_REGION="$AWS_DEFAULT_REGION"
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
# cdklocal refuses AWS_ENDPOINT_URL without AWS_ENDPOINT_URL_S3: S3 needs a host whose subdomains
# resolve (the asset buckets), which localhost.localstack.cloud's do.
export AWS_ENDPOINT_URL_S3="${AWS_ENDPOINT_URL_S3:-http://s3.localhost.localstack.cloud:4566}"
# cdklocal drops every other AWS_* variable unless allowed: keep the Region the bootstrap names.
export AWS_ENVAR_ALLOWLIST="${AWS_ENVAR_ALLOWLIST:-AWS_REGION,AWS_DEFAULT_REGION}"

# Each command as it runs, or (--dry-run) instead of running it.
run() {
  printf '+'
  printf ' %q' "$@"
  printf '\n'
  if [ "$DRY_RUN" = 0 ]; then "$@"; fi
}

if [ -z "${LOCALSTACK_AUTH_TOKEN:-}" ]; then
  echo "deploy-localstack: set LOCALSTACK_AUTH_TOKEN (from your LocalStack account): LocalStack's image refuses to start without it, and docker compose needs it to ${MODE/destroy/tear down} too" >&2
  exit 1
fi
if [ "$DRY_RUN" = 1 ]; then
  echo "# --dry-run: the commands are printed, not run; with this environment:"
  for name in AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_ENVAR_ALLOWLIST AWS_DEFAULT_REGION AWS_REGION; do
    echo "export $name=${!name}"
  done
  echo "export LOCALSTACK_AUTH_TOKEN=(set)"
elif ! command -v docker >/dev/null || ! docker compose version >/dev/null 2>&1; then
  echo "deploy-localstack: Docker with Compose v2 is required (\`docker compose version\` must work); --dry-run shows the commands without it" >&2
  exit 1
fi

if [ "$MODE" = destroy ]; then
  echo "== destroy (cdklocal)"
  run npx cdklocal destroy --all -c localstack=true -c "stage=$STAGE" --force
  echo "== LocalStack, postgres and redis"
  run "${COMPOSE[@]}" down
  exit 0
fi

echo "== LocalStack, postgres and redis"
run "${COMPOSE[@]}" up -d --wait

echo "== bootstrap (cdklocal)"
run npx cdklocal bootstrap -c localstack=true -c "stage=$STAGE" "aws://000000000000/$AWS_DEFAULT_REGION"

echo "== deploy (cdklocal)"
run mkdir -p .echo
run npx cdklocal deploy --all -c localstack=true -c "stage=$STAGE" --require-approval never \
  --outputs-file ".echo/localstack-outputs.json"

cat <<DONE

Deployed stage $STAGE on LocalStack. Send a command and watch an agent:
  aws --endpoint-url $AWS_ENDPOINT_URL events put-events --entries file://events/samples/post-message.json
  aws --endpoint-url $AWS_ENDPOINT_URL logs tail /echo/$STAGE/agents/senior_developer --follow
Tear down: LOCALSTACK_AUTH_TOKEN=... scripts/deploy-localstack.sh --destroy
DONE
