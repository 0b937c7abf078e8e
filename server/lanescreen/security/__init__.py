"""Who may call what: the site PKI, identities, roles and the per-RPC policy (no gRPC here)."""
