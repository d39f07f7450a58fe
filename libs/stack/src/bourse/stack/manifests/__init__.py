"""The container and Kubernetes manifests that follow from the service table
(bourse.stack.services).

    uv run python scripts/gen_manifests.py write    # (re)write every generated file
    uv run python scripts/gen_manifests.py check    # exit 1 and show a diff when one is stale
    (python -m bourse.stack.manifests write|check is the same)

bourse.stack.services is the one table of Bourse's processes: their ports, databases and the
settings each gets (``Service.environment()``). The files below repeat that table for
containers; they are generated from it so that they cannot drift (tests/infra runs
``check``). Edit the generator (or the table), never a generated file:

- docker-compose.yml                  the whole stack in containers
- infra/docker/nginx/nginx.conf       nginx/nginx.conf.template rendered for compose
- infra/monitoring/prometheus/prometheus.compose.yml   scrape targets in compose
- k8s/base/services/<name>.yaml + .env   Deployment, Service, HPA, PDB (+ its settings)
- k8s/base/exchange/exchange.yaml + .env StatefulSet (one pod per shard), Service, PDB
- k8s/base/postgres/databases.env, create-databases.sh (a copy of infra/docker/postgres/)

Container settings are the stack's with hosts and credentials replaced: a service reaches
another one at ``http://<name>:<port>`` (its compose service / Kubernetes Service name, the
same port as locally), PostgreSQL at ``postgres:5432`` with a password, RabbitMQ at
``rabbitmq:5672`` as user ``bourse``; every service listens on 0.0.0.0.
"""
