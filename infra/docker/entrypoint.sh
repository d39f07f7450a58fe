#!/bin/sh
# The command of a Bourse image: python -m bourse.<module> for the package it was built for
# (the module is in /opt/bourse/module, written at build time).
#   serve [ARGS]        the service (the default command)
#   migrate | declare   its database migrations / its RabbitMQ exchanges and queues
#   init [ARGS]         migrate (when the package has migrations), then declare [ARGS]:
#                       the one-shot step before serve (compose <svc>-init, k8s initContainer)
#   healthcheck [PATH]  exit 0 when GET http://127.0.0.1:<port>PATH answers 200 (/healthz)
#   anything else       run as is (a shell, python, ...)
set -eu
module=$(cat /opt/bourse/module)

case "${1:-serve}" in
    serve | migrate | declare)
        exec python -m "bourse.${module}" "$@"
        ;;
    init)
        shift
        if [ -e /opt/bourse/has-migrations ]; then
            python -m "bourse.${module}" migrate
        fi
        exec python -m "bourse.${module}" declare "$@"
        ;;
    healthcheck)
        shift
        exec python /opt/bourse/healthcheck.py "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
