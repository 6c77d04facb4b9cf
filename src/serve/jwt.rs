//! JWT bearer tokens: one configured algorithm (HS256 or RS256), `exp` required, `nbf`
//! checked, an `iat` in the future refused, optional `iss`/`aud`; any other `alg` in a
//! token's header — `none`, or HS256 signed with an RS256 public key (algorithm
//! confusion) — is refused before the signature is looked at. A token the token
//! endpoint issued names its API key (`key`), so the caller keeps one identity.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::config::{AuthConfig, JwtAlgorithm};
use super::files;

/// The claims the daemon reads and writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The id of the API key the token was issued for (by `POST /api/v1/token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// Who a valid token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub subject: String,
    /// The API key it was issued for, when the token endpoint issued it.
    pub key: Option<String>,
}

/// The system clock in Unix seconds: the clock `exp` and `nbf` are checked against, so
/// the one tokens are issued and `iat` checked by too.
pub fn system_now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

/// Seconds of clock skew allowed for `exp`, `nbf` and `iat`.
const LEEWAY_SECS: u64 = 5;

/// What verification reads: every claim optional, so a missing one is reported by
/// the validation rules (`missing_claim`) rather than as a malformed token.
#[derive(Debug, Deserialize)]
struct Presented {
    sub: Option<String>,
    iat: Option<u64>,
    key: Option<String>,
}

/// Decodes unpadded base64url (RFC 4648 §5); `None` on any other character.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut n_bits = 0;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        n_bits += 6;
        if n_bits >= 8 {
            n_bits -= 8;
            out.push(u8::try_from((bits >> n_bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// The `alg` a token's header names, read without trusting anything else in it.
fn header_algorithm(token: &str) -> Option<String> {
    let header = base64url_decode(token.split('.').next()?)?;
    let value: serde_json::Value = serde_json::from_slice(&header).ok()?;
    value.get("alg")?.as_str().map(str::to_owned)
}

/// Verifies tokens and, when a signing key is configured, issues them.
pub struct Jwt {
    algorithm: Algorithm,
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    validation: Validation,
    issuer: Option<String>,
    audience: Option<String>,
    ttl_secs: u64,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Jwt").field("algorithm", &self.algorithm).field("issues", &self.encoding.is_some()).finish_non_exhaustive()
    }
}

impl Jwt {
    /// The verifier the configuration asks for, or `None` when JWT is not configured.
    pub fn from_config(config: &AuthConfig) -> Result<Option<Self>, String> {
        let (algorithm, decoding, encoding) = match config.jwt_algorithm {
            JwtAlgorithm::HS256 => {
                let Some(secret) = config.jwt_secret.as_deref().filter(|secret| !secret.is_empty()) else { return Ok(None) };
                if secret.len() < 32 {
                    return Err("the JWT secret must be at least 32 bytes".to_owned());
                }
                (Algorithm::HS256, DecodingKey::from_secret(secret.as_bytes()), Some(EncodingKey::from_secret(secret.as_bytes())))
            }
            JwtAlgorithm::RS256 => {
                let Some(public) = &config.jwt_public_key_file else {
                    return Err("RS256 needs a public key file (jwt_public_key_file)".to_owned());
                };
                let decoding = DecodingKey::from_rsa_pem(&files::read_bytes(public)?).map_err(|error| format!("invalid RSA public key: {error}"))?;
                let encoding = match &config.jwt_private_key_file {
                    Some(private) => {
                        Some(EncodingKey::from_rsa_pem(&files::read_bytes(private)?).map_err(|error| format!("invalid RSA private key: {error}"))?)
                    }
                    None => None,
                };
                (Algorithm::RS256, decoding, encoding)
            }
        };
        let mut validation = Validation::new(algorithm);
        // Only the configured algorithm: a token naming another is refused outright.
        validation.algorithms = vec![algorithm];
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        let mut required = vec!["exp"];
        if let Some(issuer) = &config.jwt_issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        match &config.jwt_audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Ok(Some(Self {
            algorithm,
            decoding,
            encoding,
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            ttl_secs: config.token_ttl_secs,
        }))
    }

    pub fn algorithm_name(&self) -> &'static str {
        match self.algorithm {
            Algorithm::RS256 => "RS256",
            _ => "HS256",
        }
    }

    pub fn can_issue(&self) -> bool {
        self.encoding.is_some()
    }

    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    /// Who a valid token speaks for, or the reason (a metric label) it is refused.
    /// `now_secs` is the time `iat` is checked against (`exp` and `nbf` are checked
    /// against the system clock by the library).
    pub fn verify(&self, token: &str, now_secs: u64) -> Result<Verified, &'static str> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| match header_algorithm(token) {
            // A header that names an algorithm this library does not even know (`none`)
            // is an algorithm refusal, not a malformed token.
            Some(algorithm) if algorithm != self.algorithm_name() => "algorithm_rejected",
            _ => "malformed_token",
        })?;
        if header.alg != self.algorithm {
            return Err("algorithm_rejected");
        }
        match jsonwebtoken::decode::<Presented>(token, &self.decoding, &self.validation) {
            Ok(data) => {
                if data.claims.iat.is_some_and(|iat| iat > now_secs.saturating_add(LEEWAY_SECS)) {
                    return Err("issued_in_future");
                }
                let subject = data.claims.sub.filter(|subject| !subject.is_empty()).ok_or("missing_claim")?;
                Ok(Verified { subject, key: data.claims.key.filter(|key| !key.is_empty()) })
            }
            Err(error) => Err(match error.kind() {
                ErrorKind::ExpiredSignature => "expired_token",
                ErrorKind::ImmatureSignature => "not_yet_valid",
                ErrorKind::InvalidSignature => "bad_signature",
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName | ErrorKind::UnsupportedAlgorithm => "algorithm_rejected",
                ErrorKind::MissingRequiredClaim(_) => "missing_claim",
                ErrorKind::InvalidIssuer => "wrong_issuer",
                ErrorKind::InvalidAudience => "wrong_audience",
                _ => "malformed_token",
            }),
        }
    }

    /// A token for the API key `key_id` (also its subject), valid for the configured
    /// lifetime from `now_secs`.
    pub fn issue(&self, key_id: &str, now_secs: u64) -> Result<String, String> {
        let Some(encoding) = &self.encoding else { return Err("no signing key is configured".to_owned()) };
        let claims = Claims {
            sub: key_id.to_owned(),
            exp: now_secs + self.ttl_secs,
            iat: Some(now_secs),
            nbf: Some(now_secs),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            key: Some(key_id.to_owned()),
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, encoding).map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_algorithm_is_read_without_trusting_the_token() {
        // {"alg":"none","typ":"JWT"}
        assert_eq!(header_algorithm("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.e30.").as_deref(), Some("none"));
        assert_eq!(base64url_decode("aGVsbG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(header_algorithm("not base64!.x.y"), None);
    }
}
