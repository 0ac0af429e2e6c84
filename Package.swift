// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "keyrotd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "keyrotd", targets: ["keyrotd"]),
        .executable(name: "keyrotd-emulator", targets: ["keyrotd-emulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
    ],
    targets: [
        // The domain: configuration model, rotation state machine, scheduler. Talks to the world through protocols.
        .target(
            name: "KeyRotation",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // keyrotd.toml: the TOML parser, the declarations of every key, and each table's reading.
        .target(
            name: "ConfigurationFile",
            dependencies: [
                "KeyRotation",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP to ARM and Entra ID, and the ACS key provider.
        .target(
            name: "AzureClient",
            dependencies: [
                "KeyRotation",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // Durable, atomic secret and state files; the single-instance lock.
        .target(
            name: "SecretFiles",
            dependencies: [
                "KeyRotation",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Runs the operator's on_publish hooks.
        .target(
            name: "Hooks",
            dependencies: [
                "KeyRotation",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: swiftSettings
        ),
        // The running daemon's control socket (rotate, status).
        .target(
            name: "Control",
            dependencies: [
                "KeyRotation",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // Followers: Key Vault secrets another host's keyrotd writes, delivered into local files.
        .target(
            name: "Follower",
            dependencies: [
                "AzureClient", "KeyRotation", "SecretFiles",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Prometheus text file for node_exporter's textfile collector.
        .target(
            name: "MetricsFile",
            dependencies: [
                "KeyRotation", "SecretFiles",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // libsystemd, for sd_notify and the journal.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // sd_notify, the watchdog and the journald log handler.
        .target(
            name: "Systemd",
            dependencies: [
                "CSystemd",
                "KeyRotation",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Swift runtime's enqueue hooks, which need the Swift calling convention only C can declare.
        .target(name: "CConcurrencyHooks"),
        // The self-pipe signal handler SignalPipe reads, so that signals need no Dispatch source.
        .target(name: "CSignalPipe"),
        // Swift concurrency on keyrotd's own threads, so that an idle daemon has no Dispatch pool monitor waking it.
        .target(
            name: "DaemonExecutor",
            dependencies: [
                "CConcurrencyHooks",
                "CSignalPipe",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // A faithful ARM + Entra ID + ACS data-plane stand-in with fault injection.
        .target(
            name: "AzureEmulator",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "keyrotd",
            dependencies: [
                // Not AzureEmulator: the daemon that holds production credentials carries no emulator code
                // (`keyrotd demo` runs the keyrotd-emulator executable).
                "KeyRotation", "ConfigurationFile", "AzureClient", "SecretFiles", "Systemd", "Hooks", "Control", "MetricsFile", "Follower",
                "DaemonExecutor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "keyrotd-emulator",
            dependencies: [
                "AzureEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // For the benchmark: AsyncHTTPClient alone, linked as keyrotd is (what an idle keyrotd cannot weigh less than).
        .executableTarget(
            name: "keyrotd-https-floor",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Benchmarks/HTTPSFloor",
            swiftSettings: swiftSettings
        ),
        // What tests of several targets share: running an outside program to compare with.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "KeyRotationTests",
            dependencies: [
                "KeyRotation", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConfigurationFileTests",
            dependencies: [
                "ConfigurationFile", "KeyRotation", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AzureClientTests",
            dependencies: ["AzureClient", "AzureEmulator", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SecretFilesTests", dependencies: ["SecretFiles"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "HooksTests", dependencies: ["Hooks"], swiftSettings: swiftSettings),
        .testTarget(name: "MetricsFileTests", dependencies: ["MetricsFile", "KeyRotation"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FollowerTests",
            dependencies: ["Follower", "AzureClient", "KeyRotation", "SecretFiles", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ControlTests",
            dependencies: [
                "Control", "KeyRotation",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SystemdTests",
            dependencies: ["Systemd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AzureEmulatorTests",
            dependencies: ["AzureEmulator", "AzureClient", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["AzureClient", "AzureEmulator", "ConfigurationFile", "Follower", "KeyRotation", "SecretFiles", "Systemd"],
            swiftSettings: swiftSettings
        ),
    ]
)
