import Crypto
import CryptoExtras
import FoundationEssentials

/// The Entra ID v2 token endpoint: the client-credentials grant with a client secret, a
/// certificate-signed client assertion, or a federated (workload identity) assertion. AADSTS codes
/// 7000215, 7000222 (an expired client secret), 700016, 90002, 700024, 700027, 50013, 50027 and
/// 70021 are Microsoft's; 700211, 700023, 5002730 and 5002741 (a replayed `jti`) are stand-ins where
/// no public code was found.
extension EmulatorRoutes {
    /// `POST /{tenant}/oauth2/v2.0/token`.
    func token(_ request: EmulatorRequest, tenant: String) async -> EmulatorResponse {
        await state.count { $0.tokenRequests += 1 }
        let answer = await issue(request, tenant: tenant)
        if case .respond(let status, _, _) = answer, status != 200 { await state.count { $0.tokenRefusals += 1 } }
        return answer
    }

    private func issue(_ request: EmulatorRequest, tenant: String) async -> EmulatorResponse {
        guard request.method == "POST" else {
            return Self.entraError(405, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests.")
        }
        let form = EmulatorRequest(method: "POST", uri: "/?" + String(decoding: request.body, as: UTF8.self), headers: [], body: []).query
        guard tenant.lowercased() == state.tenant.lowercased() else {
            return Self.entraError(
                400,
                "invalid_request",
                "AADSTS90002: Tenant '\(tenant)' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            )
        }
        guard form["grant_type"] == "client_credentials" else {
            return Self.entraError(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
        }
        guard let clientID = form["client_id"], !clientID.isEmpty else {
            return Self.entraError(400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'client_id'.")
        }
        guard let principal = await state.principal(clientID: clientID) else {
            return Self.entraError(
                400,
                "unauthorized_client",
                "AADSTS700016: Application with identifier '\(clientID)' was not found in the directory '\(tenant)'."
            )
        }
        let kind: String
        if let assertion = form["client_assertion"] {
            guard form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" else {
                return Self.entraError(
                    400,
                    "invalid_request",
                    "AADSTS50027: The client_assertion_type must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'."
                )
            }
            let tokenURL = baseURL(request) + "/\(tenant)/oauth2/v2.0/token"
            if let refusal = await checkAssertion(assertion, clientID: clientID, tokenURL: tokenURL) { return refusal }
            kind = clientID == state.identities.federatedClientID ? "federated" : "certificate"
        } else {
            let secret = form["client_secret"] ?? ""
            var verdict: EmulatorState.SecretVerdict = !principal.secret.isEmpty && secret == principal.secret ? .accepted : .wrong
            if principal.secret.isEmpty, !secret.isEmpty { verdict = await state.checkSecret(secret, clientID: clientID) }
            switch verdict {
            case .accepted:
                break
            case .wrong, .replicating:
                return Self.entraError(
                    401,
                    "invalid_client",
                    "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '\(clientID)'."
                )
            case .expired(let end):
                return Self.entraError(
                    401,
                    "invalid_client",
                    "AADSTS7000222: The provided client secret keys for app '\(clientID)' are expired (it ended at \(EmulatorRoutes.timestamp(end))). Visit the Azure portal to create new keys for your app."
                )
            }
            kind = "secret"
        }
        let scope = form["scope"] ?? ""
        let accepted = [
            "https://management.azure.com/.default", "https://management.core.windows.net/.default", baseURL(request) + "/.default",
            Self.vaultAudience + "/.default", Self.storageAudience + "/.default", Self.graphAudience + "/.default",
        ]
        guard accepted.contains(scope) else {
            return Self.entraError(
                400,
                "invalid_scope",
                "AADSTS1002012: The provided value for scope \(scope) is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            )
        }
        if form["claims"] != nil { await state.count { $0.claimsRequests += 1 } }
        let issued = await state.issueToken(for: principal, audience: String(scope.dropLast(".default".count)))
        await state.count { $0.tokensIssued[kind, default: 0] += 1 }
        return Self.json(
            200,
            [
                "token_type": "Bearer", "expires_in": .int(issued.expiresIn), "ext_expires_in": .int(issued.expiresIn),
                "access_token": .string(issued.token),
            ] as JSONValue
        )
    }

    /// Checks a client assertion: a certificate assertion (iss = sub = client id) against the
    /// registered certificate, or a federated token against the app's federated identity credential.
    /// Returns the refusal, or `nil` when it is good.
    private func checkAssertion(_ assertion: String, clientID: String, tokenURL: String) async -> EmulatorResponse? {
        let identities = state.identities
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = EmulatorState.base64URLDecode(String(parts[0])),
            let claimBytes = EmulatorState.base64URLDecode(String(parts[1])), let signatureBytes = EmulatorState.base64URLDecode(String(parts[2])),
            let header = JSONValue(parsing: headerBytes), let claims = JSONValue(parsing: claimBytes)
        else {
            return Self.entraError(400, "invalid_client", "AADSTS50027: JWT token is invalid or malformed.")
        }
        let signedInput = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
        let digest = SHA256.hash(data: signedInput)
        let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureBytes)
        let alg = header["alg"]?.string
        if clientID == identities.federatedClientID {
            let audiences = Self.audiences(claims["aud"])
            guard alg == "RS256", identities.issuerPublicKey.isValidSignature(signature, for: digest, padding: .insecurePKCS1v1_5) else {
                return Self.entraError(
                    400,
                    "invalid_client",
                    "AADSTS700211: No matching federated identity record found for presented assertion issuer, or its signature is not valid."
                )
            }
            if let refusal = Self.outsideValidity(claims) { return refusal }
            guard claims["iss"]?.string == identities.federatedIssuer, claims["sub"]?.string == identities.federatedSubject,
                audiences.contains(EmulatedIdentities.federatedAudience)
            else {
                return Self.entraError(
                    400,
                    "invalid_client",
                    "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '\(claims["iss"]?.string ?? "")'. Assertion Subject: '\(claims["sub"]?.string ?? "")'. Assertion Audience: '\(audiences.joined(separator: ","))'."
                )
            }
            return nil
        }
        if let application = await state.application(clientID: clientID), !application.certificates.isEmpty {
            let (claims, refusal) = await state.checkAssertion(assertion, clientID: clientID)
            if let refusal {
                return Self.entraError(401, "invalid_client", "AADSTS700027: Client assertion failed signature validation. [Reason - \(refusal).]")
            }
            return await checkClaims(claims ?? .null, clientID: clientID, tokenURL: tokenURL)
        }
        guard clientID == identities.certificateApp.clientID else {
            return Self.entraError(
                401,
                "invalid_client",
                "AADSTS700027: Client assertion failed signature validation: no certificate is registered for app '\(clientID)'."
            )
        }
        let app = identities.certificateApp
        let padding: _RSA.Signing.Padding
        switch alg {
        case "PS256":
            guard Self.unpadded(header["x5t#S256"]) == app.thumbprintSHA256 else {
                return Self.entraError(
                    401,
                    "invalid_client",
                    "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application."
                )
            }
            padding = .PSS
        case "RS256":
            guard Self.unpadded(header["x5t"]) == app.thumbprintSHA1 || Self.unpadded(header["x5t#S256"]) == app.thumbprintSHA256 else {
                return Self.entraError(
                    401,
                    "invalid_client",
                    "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application."
                )
            }
            padding = .insecurePKCS1v1_5
        default:
            return Self.entraError(400, "invalid_client", "AADSTS5002730: Invalid JWT header type or algorithm '\(alg ?? "none")'.")
        }
        guard app.publicKey.isValidSignature(signature, for: digest, padding: padding) else {
            return Self.entraError(401, "invalid_client", "AADSTS700027: Client assertion failed signature validation.")
        }
        return await checkClaims(claims, clientID: clientID, tokenURL: tokenURL)
    }

    /// The claims of a certificate's client assertion: its time range, `aud` the token URL,
    /// `iss` = `sub` = the client id, and a `jti` never seen before.
    private func checkClaims(_ claims: JSONValue, clientID: String, tokenURL: String) async -> EmulatorResponse? {
        if let refusal = Self.outsideValidity(claims) { return refusal }
        guard claims["aud"]?.string == tokenURL else {
            return Self.entraError(
                401,
                "invalid_client",
                "AADSTS50013: Assertion audience claim does not match the required value. The audience in the assertion was '\(claims["aud"]?.string ?? "")' and the expected audience is '\(tokenURL)'."
            )
        }
        guard claims["iss"]?.string == clientID, claims["sub"]?.string == clientID else {
            return Self.entraError(401, "invalid_client", "AADSTS700023: The client assertion's iss and sub claims must both be the client id.")
        }
        guard let jti = claims["jti"]?.string, !jti.isEmpty, await state.useAssertionID(jti) else {
            return Self.entraError(401, "invalid_client", "AADSTS5002741: The client assertion was already used (its jti is replayed).")
        }
        return nil
    }

    /// `GET /{tenant}/v2.0/.well-known/openid-configuration`: the document MSAL (under azure-identity)
    /// reads before its first token request, naming the token endpoint.
    func openIDConfiguration(_ request: EmulatorRequest, tenant: String) -> EmulatorResponse {
        guard tenant.lowercased() == state.tenant.lowercased() || ["common", "organizations"].contains(tenant.lowercased()) else {
            return Self.entraError(400, "invalid_tenant", "AADSTS90002: Tenant '\(tenant)' not found.")
        }
        let base = baseURL(request) + "/" + state.tenant
        return Self.json(
            200,
            [
                "issuer": .string(base + "/v2.0"), "token_endpoint": .string(base + "/oauth2/v2.0/token"),
                "authorization_endpoint": .string(base + "/oauth2/v2.0/authorize"), "jwks_uri": .string(base + "/discovery/v2.0/keys"),
                "device_authorization_endpoint": .string(base + "/oauth2/v2.0/devicecode"), "tenant_region_scope": "EU",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"], "scopes_supported": ["openid", "profile"],
                "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
            ] as JSONValue
        )
    }

    /// AADSTS700024 unless now is within the assertion's nbf…exp (five minutes of skew allowed).
    private static func outsideValidity(_ claims: JSONValue) -> EmulatorResponse? {
        let now = Date().timeIntervalSince1970
        let skew = 300.0
        let nbf = claims["nbf"]?.number ?? claims["iat"]?.number
        let exp = claims["exp"]?.number
        guard let exp, exp + skew > now, (nbf ?? 0) - skew <= now else {
            let format = { (t: Double?) in t.map { EmulatorRoutes.timestamp(Date(timeIntervalSince1970: $0)) } ?? "-" }
            return Self.entraError(
                400,
                "invalid_client",
                "AADSTS700024: Client assertion is not within its valid time range. Current time: \(EmulatorRoutes.timestamp(Date())), assertion valid from \(format(nbf)) to \(format(exp))."
            )
        }
        return nil
    }

    /// A thumbprint header without base64 padding: MSAL (under azure-identity) pads its `x5t`, and
    /// Entra takes it either way.
    private static func unpadded(_ header: JSONValue?) -> String? {
        header?.string.map { String($0.prefix { $0 != "=" }) }
    }

    /// The `aud` claim: one audience or a list of them.
    private static func audiences(_ claim: JSONValue?) -> [String] {
        if case .array(let values)? = claim { return values.compactMap(\.string) }
        return [claim?.string ?? ""]
    }
}
