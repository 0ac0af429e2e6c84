import FoundationEssentials

/// The Azure clouds keyrotd knows, each with its Entra ID authority, ARM endpoint and ARM token scope.
/// Values from azure-identity's `AzureAuthorityHosts` and azure-mgmt-core's `get_arm_endpoints`.
public enum AzureCloud: String, Sendable, Equatable, CaseIterable {
    /// Azure public cloud.
    case azureCloud = "AzureCloud"
    /// Azure US Government.
    case azureUSGovernment = "AzureUSGovernment"
    /// Azure operated by 21Vianet (China).
    case azureChinaCloud = "AzureChinaCloud"

    /// The Entra ID authority host.
    public var authorityHost: URL {
        switch self {
        case .azureCloud: URL(string: "https://login.microsoftonline.com")!
        case .azureUSGovernment: URL(string: "https://login.microsoftonline.us")!
        case .azureChinaCloud: URL(string: "https://login.chinacloudapi.cn")!
        }
    }

    /// The ARM endpoint.
    public var armEndpoint: URL {
        switch self {
        case .azureCloud: URL(string: "https://management.azure.com")!
        case .azureUSGovernment: URL(string: "https://management.usgovcloudapi.net")!
        case .azureChinaCloud: URL(string: "https://management.chinacloudapi.cn")!
        }
    }

    /// Microsoft Graph's endpoint (its national deployments for the sovereign clouds).
    public var graphEndpoint: URL {
        switch self {
        case .azureCloud: URL(string: "https://graph.microsoft.com")!
        case .azureUSGovernment: URL(string: "https://graph.microsoft.us")!
        case .azureChinaCloud: URL(string: "https://microsoftgraph.chinacloudapi.cn")!
        }
    }

    /// What every vault's host ends with in this cloud (`NAME.vault.azure.net`).
    public var keyVaultHostSuffix: String {
        switch self {
        case .azureCloud: ".vault.azure.net"
        case .azureUSGovernment: ".vault.usgovcloudapi.net"
        case .azureChinaCloud: ".vault.azure.cn"
        }
    }

    /// The scope of ARM tokens. In US Government its host differs from the endpoint's: tokens are
    /// issued for `management.core.usgovcloudapi.net`, requests go to `management.usgovcloudapi.net`.
    public var armScope: String {
        switch self {
        case .azureCloud: "https://management.azure.com/.default"
        case .azureUSGovernment: "https://management.core.usgovcloudapi.net/.default"
        case .azureChinaCloud: "https://management.chinacloudapi.cn/.default"
        }
    }
}
