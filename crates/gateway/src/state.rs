//! Everything a handler needs, built once at start-up.

use crate::auth::KeyCache;
use crate::config::{Config, ConfigError, Mode, PolicyConfig};
use crate::metrics::Metrics;
use crate::upstream::Upstreams;
use palisade_core::Event;
use palisade_guard::{Guard, Policy};
use palisade_store::{EventWriter, Store, Submitted, WriterConfig};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Builds a guard for a guard policy (the CLI decides where rules and the
/// model come from).
pub type GuardFactory = dyn Fn(Policy) -> Result<Guard, String> + Send + Sync;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] palisade_store::StoreError),
    /// A guard could not be built.
    #[error("policy {policy:?}: {message}")]
    Guard {
        /// The policy name.
        policy: String,
        /// What failed.
        message: String,
    },
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(String),
    /// Binding or serving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A named policy, ready to use.
pub struct PolicyRt {
    /// Its name.
    pub name: String,
    /// The gateway settings.
    pub cfg: PolicyConfig,
    /// Its guard.
    pub guard: Guard,
    /// Recent verdicts on request texts.
    pub cache: crate::inspect::VerdictCache,
    /// How masked spans are replaced.
    pub masking: crate::inspect::Masking,
}

/// Shared state.
pub struct AppState {
    /// The configuration.
    pub cfg: Config,
    /// Policies by name.
    pub policies: HashMap<String, Arc<PolicyRt>>,
    /// The `default` policy.
    pub default_policy: Arc<PolicyRt>,
    /// Upstreams.
    pub upstreams: Upstreams,
    /// The outgoing HTTP client (pooled).
    pub client: reqwest::Client,
    /// The store.
    pub store: Arc<Store>,
    /// The event queue.
    pub writer: EventWriter,
    /// Active gateway keys.
    pub keys: KeyCache,
    /// The admin token, if one is set.
    pub admin_token: Option<String>,
    /// Client addresses refused at the door.
    pub blocks: crate::blocks::Blocklist,
    /// The web application firewall, unless `[waf] mode = "off"`.
    pub waf: Option<Arc<palisade_waf::Waf>>,
    /// Whether the WAF leaves proxy requests to the handler: true when
    /// some policy checks requests in parallel with the upstream, whose
    /// WAF inspection then runs in that window too (`crate::waf::Deferred`).
    pub defer_waf: bool,
    /// Request, token and cost budgets.
    pub limiter: crate::limits::Limiter,
    /// The API inventory learned from traffic.
    pub discovery: crate::discovery::Discovery,
    /// AI-bot management, unless `[bots] enabled = false`.
    pub bots: Option<crate::bots::Bots>,
    /// Metrics.
    pub metrics: Metrics,
    /// Set once shutdown began (readiness turns false).
    pub draining: AtomicBool,
    seq: AtomicU64,
    boot: u64,
}

impl AppState {
    /// One guard per policy (the `default` one always), each with its
    /// masking and verdict cache.
    fn policies(
        cfg: &Config,
        factory: &GuardFactory,
    ) -> Result<HashMap<String, Arc<PolicyRt>>, StartError> {
        let mut specs = cfg.policies.clone();
        specs.entry("default".into()).or_default();
        let mut policies = HashMap::new();
        for (name, pc) in specs {
            let gp = match &pc.guard {
                Some(path) => Policy::load(path).map_err(|e| StartError::Guard {
                    policy: name.clone(),
                    message: e.to_string(),
                })?,
                None => Policy::default(),
            };
            let guard = factory(gp).map_err(|message| StartError::Guard {
                policy: name.clone(),
                message,
            })?;
            let masking = crate::inspect::Masking::from_spec(&pc.mask).map_err(|problem| {
                StartError::Config(ConfigError::Invalid {
                    path: cfg.origin.clone(),
                    key: format!("policies.{name}"),
                    problem,
                })
            })?;
            policies.insert(
                name.clone(),
                Arc::new(PolicyRt {
                    name,
                    cfg: pc,
                    guard,
                    cache: crate::inspect::VerdictCache::new(10_000),
                    masking,
                }),
            );
        }
        Ok(policies)
    }

    /// Builds the state: policies (one guard each), upstreams, store,
    /// writer and key cache.
    pub fn new(cfg: Config, factory: &GuardFactory) -> Result<Self, StartError> {
        // The WAF's rule sets build on another core while the guards load
        // (each is a few hundred milliseconds of one core at start-up).
        let (policies, waf) = std::thread::scope(|s| {
            let waf = s.spawn(|| crate::waf::build(&cfg.waf));
            let policies = Self::policies(&cfg, factory);
            let waf = waf.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            (policies, waf)
        });
        let policies = policies?;
        let waf = waf.map_err(|message| StartError::Guard {
            policy: "waf".into(),
            message,
        })?;
        let Some(default_policy) = policies.get("default").cloned() else {
            return Err(StartError::Guard {
                policy: "default".into(),
                message: "missing".into(),
            });
        };
        let upstreams = Upstreams::new(&cfg.upstreams, &cfg.origin)?;
        let client = reqwest::Client::builder()
            .connect_timeout(cfg.limits.connect_timeout())
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            // Never follow a redirect with the real key attached.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| StartError::Client(e.to_string()))?;
        let store = Arc::new(Store::open(&cfg.storage)?);
        let writer = EventWriter::spawn(
            store.clone(),
            WriterConfig {
                capacity: cfg.events.queue_capacity,
                on_full: cfg.events.on_full,
                block_timeout: Duration::from_millis(cfg.events.block_timeout_ms),
                ..WriterConfig::default()
            },
        );
        let keys = KeyCache::new(store.clone())?;
        let limiter = crate::limits::Limiter::new(cfg.rate_limits.clone()).map_err(|problem| {
            StartError::Config(ConfigError::Invalid {
                path: cfg.origin.clone(),
                key: "rate_limits.prices".into(),
                problem,
            })
        })?;
        let discovery = crate::discovery::Discovery::new(&store);
        let bots = crate::bots::Bots::new(&cfg.bots).map_err(|message| StartError::Guard {
            policy: "bots".into(),
            message,
        })?;
        let blocks = crate::blocks::Blocklist::default();
        blocks.reload(&store)?;
        let admin_token = std::env::var(&cfg.auth.admin_token_env)
            .ok()
            .filter(|t| !t.is_empty());
        let boot = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let defer_waf = waf.is_some()
            && policies
                .values()
                .any(|p| p.cfg.input_check == crate::config::InputCheck::Parallel);
        Ok(Self {
            cfg,
            policies,
            default_policy,
            upstreams,
            client,
            store,
            writer,
            keys,
            admin_token,
            blocks,
            defer_waf,
            waf,
            limiter,
            discovery,
            bots,
            metrics: Metrics::default(),
            draining: AtomicBool::new(false),
            seq: AtomicU64::new(0),
            boot,
        })
    }

    /// A request id unique across restarts (boot time + counter).
    pub fn request_id(&self) -> String {
        format!(
            "req_{:x}_{:x}",
            self.boot,
            self.seq.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// The policy for a request: the key's own, else the route's, else
    /// `default`.
    pub fn policy_for(&self, key_policy: Option<&str>, path: &str) -> Arc<PolicyRt> {
        let by_route = self
            .cfg
            .routes
            .iter()
            .find(|r| r.path == path)
            .map(|r| r.policy.as_str());
        key_policy
            .and_then(|n| self.policies.get(n))
            .or_else(|| by_route.and_then(|n| self.policies.get(n)))
            .cloned()
            .unwrap_or_else(|| self.default_policy.clone())
    }

    /// Queues an event; `false` when the configured on-full policy says
    /// the request must fail instead.
    pub async fn record(&self, e: Event) -> bool {
        !matches!(self.writer.submit(e).await, Submitted::Rejected)
    }

    /// Whether a policy forwards despite findings.
    pub fn enforces(p: &PolicyRt) -> bool {
        p.cfg.mode == Mode::Enforce
    }
}
