//! How we talk to a registry: plain HTTP or HTTPS (go-containerregistry's `Registry.Scheme()`
//! rule, plus `-insecure-registry`), trusted roots (system roots plus `SSL_CERT_FILE` and
//! `SSL_CERT_DIR`), proxies and timeouts, turned into the store's one reqwest client.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;

use crate::{Environment, Error};

/// Bundles Go reads for system roots, first existing one wins (`crypto/x509` on Linux).
const SYSTEM_CERT_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];
/// Directories Go reads for system roots unless `SSL_CERT_DIR` replaces them.
const SYSTEM_CERT_DIRS: &[&str] = &["/etc/ssl/certs", "/etc/pki/tls/certs"];
/// Sent with every request.
const USER_AGENT: &str = concat!("cnb-lifecycle/", env!("CARGO_PKG_VERSION"));
/// Redirects followed for one request (reqwest's default; a loop ends there).
const MAX_REDIRECTS: usize = 10;
/// Never proxied, as in Go's `httpproxy`: loopback names and addresses.
const ALWAYS_DIRECT: &str = "localhost,127.0.0.0/8,::1";
/// What `*` means: every host name (reqwest's `*`) and every address (which it needs spelled).
const EVERYTHING: &str = "*,0.0.0.0/0,::/0";

/// The protocol for a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

/// Plain HTTP for registries named in `insecure` and, as go-containerregistry decides, for
/// `localhost:<port>`, `*.local[:port]` and `*.localhost[:port]` (its `reLocal`),
/// `127.0.0.1[:port]`, `::1`/`[::1]:port` and RFC 1918
/// addresses; HTTPS for everything else.
pub fn scheme_for(registry: &str, insecure: &[String]) -> Scheme {
    let listed = insecure
        .iter()
        .any(|entry| crate::keychain::registry_host(entry) == registry);
    if listed || is_local(registry) || is_rfc1918(registry) {
        Scheme::Http
    } else {
        Scheme::Https
    }
}

fn is_local(registry: &str) -> bool {
    let (host, port) = split_port(registry);
    let port_ok = port.is_none_or(|port| {
        !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit())
    });
    if registry == "::1" {
        return true;
    }
    port_ok
        && (host == "127.0.0.1"
            || host == "[::1]"
            || (host == "localhost" && port.is_some())
            || has_local_suffix(host))
}

/// `*.local` (mDNS) and `*.localhost` names; host names compare without case.
fn has_local_suffix(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    [".local", ".localhost"]
        .iter()
        .any(|suffix| host.ends_with(suffix))
}

fn is_rfc1918(registry: &str) -> bool {
    let host = registry.split(':').next().unwrap_or_default();
    host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_private())
}

/// `host[:port]` (the host may be a bracketed IPv6 address).
fn split_port(registry: &str) -> (&str, Option<&str>) {
    if let Some(end) = registry.find(']') {
        let (host, rest) = registry.split_at(end + 1);
        return (host, rest.strip_prefix(':'));
    }
    match registry.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (registry, None),
    }
}

/// Settings shared by every registry client.
#[derive(Debug, Clone)]
pub struct Transport {
    /// Registries to reach over plain HTTP.
    pub insecure_registries: Vec<String>,
    /// Bound on connecting, on each read of a response, and on each attempt of a small
    /// request.
    pub request_timeout: Duration,
    /// How long a registry may leave every request unanswered before the store gives up on
    /// it for the rest of the process.
    pub give_up_after: Duration,
    /// Trusted roots, DER encoded (system roots plus the extra ones).
    pub roots: Arc<Vec<Vec<u8>>>,
    /// `HTTPS_PROXY`.
    pub https_proxy: Option<String>,
    /// `HTTP_PROXY`.
    pub http_proxy: Option<String>,
    /// `NO_PROXY`.
    pub no_proxy: Option<String>,
}

/// The trusted roots: Go's system bundle and directories (with `SSL_CERT_FILE` added and
/// `SSL_CERT_DIR` added, where Go would replace), DER encoded. Certificates that do not
/// parse as trust anchors are skipped.
pub fn load_roots(env: &Environment) -> Result<Vec<Vec<u8>>, Error> {
    let mut pem = Vec::new();
    if let Some(file) = SYSTEM_CERT_FILES
        .iter()
        .map(Path::new)
        .find(|f| f.is_file())
    {
        pem.extend(read_certs(file)?);
    }
    let mut dirs: Vec<PathBuf> = SYSTEM_CERT_DIRS.iter().map(PathBuf::from).collect();
    if let Some(extra) = &env.ssl_cert_dir {
        dirs.extend(
            extra
                .split(':')
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
        );
    }
    for dir in dirs.iter().filter(|dir| dir.is_dir()) {
        let entries = std::fs::read_dir(dir).map_err(|source| Error::ReadCertificates {
            path: dir.clone(),
            source,
        })?;
        let mut files: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
        files.sort();
        for file in files.iter().filter(|file| file.is_file()) {
            // A directory of hashed links repeats the bundle; duplicates are dropped below.
            pem.extend(read_certs(file).unwrap_or_default());
        }
    }
    if let Some(file) = &env.ssl_cert_file {
        pem.extend(read_certs(file)?);
    }
    pem.sort();
    pem.dedup();
    let mut store = rustls::RootCertStore::empty();
    Ok(pem
        .into_iter()
        .filter(|der| store.add(CertificateDer::from(der.clone())).is_ok())
        .collect())
}

fn read_certs(path: &Path) -> Result<Vec<Vec<u8>>, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::ReadCertificates {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .map(|der| der.to_vec())
        .collect())
}

/// The one HTTP client of a store: only the roots in `transport` are trusted (an empty set is
/// fine: plain HTTP still works, HTTPS then fails to verify), connections and reads are bounded
/// by the request timeout, and proxies come only from `transport`, never from the process
/// environment. Redirects are followed up to 10 times; reqwest drops `Authorization` when one
/// leads to another host.
pub(crate) fn http_client(transport: &Transport) -> Result<reqwest::Client, reqwest::Error> {
    let roots = transport
        .roots
        .iter()
        .filter_map(|der| reqwest::Certificate::from_der(der).ok());
    let mut builder = reqwest::Client::builder()
        .tls_certs_only(roots)
        .connect_timeout(transport.request_timeout)
        .read_timeout(transport.request_timeout)
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .no_proxy();
    for (kind, url, no_proxy) in proxies(transport) {
        let no_proxy = reqwest::NoProxy::from_string(&no_proxy);
        let proxy = match kind {
            Scheme::Https => reqwest::Proxy::https(&url)?,
            Scheme::Http => reqwest::Proxy::http(&url)?,
        };
        builder = builder.proxy(proxy.no_proxy(no_proxy));
    }
    builder.build()
}

/// The proxies to use: for which scheme, the proxy URL, and the `NO_PROXY` list.
pub(crate) fn proxies(transport: &Transport) -> Vec<(Scheme, String, String)> {
    let no_proxy = no_proxy_list(transport.no_proxy.as_deref());
    let https = transport
        .https_proxy
        .iter()
        .map(|url| (Scheme::Https, url.clone(), no_proxy.clone()));
    let http = transport
        .http_proxy
        .iter()
        .map(|url| (Scheme::Http, url.clone(), no_proxy.clone()));
    https.chain(http).collect()
}

/// `NO_PROXY` as reqwest needs it to mean what it means in Go: loopback is never proxied,
/// and `*` covers addresses as well as names.
pub(crate) fn no_proxy_list(value: Option<&str>) -> String {
    let entries: Vec<&str> = value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
    let mut list = vec![ALWAYS_DIRECT];
    if entries.contains(&"*") {
        list.push(EVERYTHING);
    }
    list.extend(entries);
    list.join(",")
}

#[cfg(test)]
mod tests;
