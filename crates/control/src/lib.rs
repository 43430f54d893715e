//! Control plane: accounts, sessions, deployments, API keys, organizations, and their metadata store.
