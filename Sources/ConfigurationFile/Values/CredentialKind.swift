/// How a `[credential.NAME]` proves keyrotd's identity, which decides the keys that apply to it.
enum CredentialKind: String, ConfigurationChoice {
    /// An app registration with a client secret or certificate.
    case servicePrincipal = "service-principal"
    /// The host's managed identity.
    case managedIdentity = "managed-identity"
    /// A Kubernetes service account token, federated.
    case workloadIdentity = "workload-identity"
    /// Whatever the environment offers.
    case auto
}
