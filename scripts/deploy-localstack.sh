#!/usr/bin/env bash
# Deploys ECHO onto LocalStack with the sidecars of docker-compose.localstack.yml:
#   LOCALSTACK_AUTH_TOKEN=... scripts/deploy-localstack.sh            (stage dev)
#   STAGE=demo scripts/deploy-localstack.sh
# Needs Docker with Compose v2 and a LocalStack auth token. The CDK app is synthesized with
# `-c localstack=true`: no VPC, Aurora, ElastiCache or API Gateway; the functions use the postgres
# and redis sidecars and reach LocalStack at http://localstack:4566 (see infra/config.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

STAGE="${STAGE:-dev}"
COMPOSE=(docker compose -f docker-compose.localstack.yml)
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_REGION="$AWS_DEFAULT_REGION"
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"

command -v docker >/dev/null || { echo "docker is required" >&2; exit 1; }
: "${LOCALSTACK_AUTH_TOKEN:?set LOCALSTACK_AUTH_TOKEN (from your LocalStack account)}"

echo "== LocalStack, postgres and redis"
"${COMPOSE[@]}" up -d --wait

echo "== bootstrap (cdklocal)"
npx cdklocal bootstrap -c localstack=true -c "stage=$STAGE" "aws://000000000000/$AWS_DEFAULT_REGION"

echo "== deploy (cdklocal)"
mkdir -p .echo
npx cdklocal deploy --all -c localstack=true -c "stage=$STAGE" --require-approval never \
  --outputs-file ".echo/localstack-outputs.json"

cat <<DONE

Deployed stage $STAGE on LocalStack. Send a command and watch an agent:
  aws --endpoint-url $AWS_ENDPOINT_URL events put-events --entries file://events/samples/post-message.json
  aws --endpoint-url $AWS_ENDPOINT_URL logs tail /echo/$STAGE/agents/senior_developer --follow
Tear down: npx cdklocal destroy --all -c localstack=true -c stage=$STAGE --force; ${COMPOSE[*]} down
DONE
