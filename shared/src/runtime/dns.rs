//! DNS lookups for domain verification: TXT records, through the system's resolver (in
//! AWS, the VPC resolver Lambda is given) or the one `DNS_RESOLVER` names. The resolver is
//! built on the first lookup, so functions that never verify a domain never read
//! `/etc/resolv.conf`. Nothing is cached: a record published a moment ago must be seen by
//! the next verify, and a miss must not be remembered.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::TokioResolver;

use crate::error::ApiError;

/// The DNS client of one cold start.
#[derive(Default)]
pub struct Dns {
    /// The resolver to ask; `None`: the system's.
    server: Option<SocketAddr>,
    resolver: OnceLock<Result<TokioResolver, String>>,
}

impl std::fmt::Debug for Dns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dns").field("server", &self.server).finish()
    }
}

impl Dns {
    /// Lookups through `server`, or the system's resolver when `None`.
    pub fn new(server: Option<SocketAddr>) -> Self {
        Self {
            server,
            resolver: OnceLock::new(),
        }
    }

    fn resolver(&self) -> Result<&TokioResolver, ApiError> {
        let built = self.resolver.get_or_init(|| {
            let builder = match self.server {
                Some(server) => {
                    let mut udp = ConnectionConfig::udp();
                    udp.port = server.port();
                    let mut tcp = ConnectionConfig::tcp();
                    tcp.port = server.port();
                    let name_server = NameServerConfig::new(server.ip(), true, vec![udp, tcp]);
                    TokioResolver::builder_with_config(
                        ResolverConfig::from_name_servers(vec![name_server]),
                        TokioRuntimeProvider::default(),
                    )
                }
                None => TokioResolver::builder_tokio().map_err(|e| format!("{e:?}"))?,
            };
            let mut builder = builder;
            let options = builder.options_mut();
            options.cache_size = 0;
            options.timeout = Duration::from_secs(2);
            options.attempts = 2;
            builder.build().map_err(|e| format!("{e:?}"))
        });
        built
            .as_ref()
            .map_err(|e| ApiError::internal("building the DNS resolver", e))
    }

    /// The TXT strings published at `name` (each record's strings joined); empty when the
    /// name or its TXT records do not exist. A resolver that fails or times out is
    /// `service_unavailable`.
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, ApiError> {
        // A fully qualified name: no search domains are tried.
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.resolver()?.txt_lookup(fqdn.as_str()).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|part| String::from_utf8_lossy(part).into_owned())
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect()),
            Err(e) if e.is_nx_domain() || e.is_no_records_found() => Ok(Vec::new()),
            Err(e) => Err(ApiError::Unavailable(format!(
                "while looking up TXT {name}: {e}"
            ))),
        }
    }
}
