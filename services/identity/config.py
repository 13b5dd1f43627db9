"""Identity's settings; each can be overridden by IDENTITY_<NAME> in the environment."""


class Config:
    #: PEM of the Ed25519 private key that signs tokens (required; `make run` generates one under var/)
    SIGNING_KEY = None
    TOKEN_TTL_SECONDS = 900
