/// keyrotd's version: `keyrotd --version`, the Debian package's version, ARM's User-Agent.
public enum KeyrotdVersion {
    /// The current release.
    public static let current = "0.1.0"
}
