//! TLS termination (rustls): the certificate chain and key from PEM files, swapped
//! whole on reload (SIGHUP, or a change of either file), so a renewed certificate needs
//! no restart. Connections already open keep the certificate they were made with.
//!
//! Invariant: a reload that fails (unreadable file, no certificate, a key that does not
//! match) leaves the certificate in force and is reported; it never stops the daemon.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::SystemTime;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use super::files;

/// The certificate in force and where it comes from.
pub struct Tls {
    cert_file: PathBuf,
    key_file: PathBuf,
    acceptor: RwLock<TlsAcceptor>,
    loaded: RwLock<(Option<SystemTime>, Option<SystemTime>)>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Tls").field("cert_file", &self.cert_file).field("key_file", &self.key_file).finish_non_exhaustive()
    }
}

/// The rustls configuration of a chain and key (PEM), offering HTTP/2 and HTTP/1.1
/// over ALPN.
fn server_config(cert_file: &Path, key_file: &Path) -> Result<ServerConfig, String> {
    let cert_pem = files::read_bytes(cert_file)?;
    let key_pem = files::read_bytes(key_file)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("`{}`: not a PEM certificate chain: {error}", cert_file.display()))?;
    if chain.is_empty() {
        return Err(format!("`{}` holds no certificate", cert_file.display()));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|error| format!("`{}`: not a PEM private key: {error}", key_file.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("TLS: {error}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| format!("TLS certificate `{}` with key `{}`: {error}", cert_file.display(), key_file.display()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

impl Tls {
    /// Loads the chain and key; an unreadable or invalid pair is an error.
    pub fn load(cert_file: PathBuf, key_file: PathBuf) -> Result<Self, String> {
        let loaded = (files::modified(&cert_file), files::modified(&key_file));
        let config = server_config(&cert_file, &key_file)?;
        Ok(Self { cert_file, key_file, acceptor: RwLock::new(TlsAcceptor::from(Arc::new(config))), loaded: RwLock::new(loaded) })
    }

    /// The acceptor for a new connection.
    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Reads both files again; on error the certificate in force stays.
    pub fn reload(&self) -> Result<(), String> {
        let loaded = (files::modified(&self.cert_file), files::modified(&self.key_file));
        let config = server_config(&self.cert_file, &self.key_file)?;
        *self.acceptor.write().unwrap_or_else(PoisonError::into_inner) = TlsAcceptor::from(Arc::new(config));
        *self.loaded.write().unwrap_or_else(PoisonError::into_inner) = loaded;
        Ok(())
    }

    /// Whether either file changed since the last load (or attempt).
    pub fn files_changed(&self) -> bool {
        let now = (files::modified(&self.cert_file), files::modified(&self.key_file));
        let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
        if now == *loaded {
            return false;
        }
        // A broken file is reported once, not at every check.
        *loaded = now;
        true
    }
}
