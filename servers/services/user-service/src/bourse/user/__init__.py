"""user-service: who you are. Registers users, checks passwords (argon2id), rotates
refresh tokens (a reused one revokes its family), signs access tokens (EdDSA) and
publishes the JWKS every other service verifies them with."""
