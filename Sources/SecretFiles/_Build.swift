enum _PlaceholderSecretFiles {}
