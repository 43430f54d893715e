//! HTTP listeners: control-plane API, backend front door, credentials, TLS, limits, metrics.
