//! The application layer of vulnrelay: every workflow of the platform as typed
//! operations over the store and the policy packs, with one error type ([`Error`]).
//! Every door calls it — the HTTP API and the web UI (`vulnrelay-server`), the command
//! line (`vulnrelay`), the delivery worker ([`worker`]) and federation — and none of
//! them holds a workflow of its own. Nothing here knows HTTP.

pub mod accounts;
pub mod aggregator;
pub mod assets;
pub mod caller;
pub mod case_actions;
pub mod case_views;
pub mod casefile;
pub mod cases;
pub mod coordination;
pub mod coordination_demo;
pub mod deadlines;
pub mod deliveries;
pub mod demo;
pub mod distribution;
pub mod drafts;
pub mod error;
pub mod federation;
pub mod forwarding;
pub mod gates;
pub mod gauges;
pub mod identifiers;
pub mod imports;
pub mod input;
pub mod intervals;
pub mod orgs;
mod paging;
pub mod participants;
pub mod projection;
pub mod publication;
pub mod receipts;
pub mod record_views;
pub mod records;
pub mod regimes;
pub mod relations;
pub mod reports;
pub mod retry;
pub mod sanctions;
pub mod secrets;
pub mod warnings;
pub mod worker;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use vulnrelay_policy::Pack;
use vulnrelay_store::Store;

pub use caller::Caller;
pub use error::{Error, Problem, Result};
pub use forwarding::Forwarding;

/// How the server behaves; every field has a sensible default.
#[derive(Debug, Clone)]
pub struct Config {
    /// The platform that receives reports when neither the report nor a membership
    /// route names one.
    pub default_platform: Option<String>,
    /// The reporting chain's forwarding rules.
    pub forwarding: Forwarding,
    /// The largest request body accepted (413 above it).
    pub max_body_bytes: usize,
    /// The largest attachment accepted (decoded), per attachment.
    pub max_attachment_bytes: usize,
    /// The most attachments per report.
    pub max_attachments: usize,
    /// The most attachment bytes (decoded) per report, all attachments together.
    pub max_attachments_total_bytes: usize,
    /// How long a login session lasts.
    pub session_hours: i64,
    /// Failed logins allowed per account within `login_window`.
    pub login_attempts: usize,
    /// The window of the login rate limit.
    pub login_window: Duration,
    /// The URL the platform is reached at (in the CSAF provider metadata and the feed);
    /// when unset, the address the server listens on. Never the request's `Host` header,
    /// which any client sets.
    pub public_url: Option<String>,
    /// Accept webhooks to loopback, private, link-local and other non-public addresses
    /// (off by default: a subscriber could otherwise make the server reach into its own
    /// network; the demo and tests on loopback turn it on).
    pub allow_private_webhooks: bool,
    /// The CNA organisation UUID written into CVE records (the CVE Program assigns it);
    /// the default is a placeholder that marks records as this installation's own.
    pub cna_org_id: String,
    /// The CNA short name written into CVE records.
    pub cna_short_name: String,
    /// Policy settings of this platform: deadlines it sets for the rules that allow it
    /// (the cooperating-unit scheme's report), readings per pack.
    pub policy: vulnrelay_policy::Settings,
    /// When the delivery worker reminds the vendors of a case that have not answered,
    /// unless the case sets its own schedule (`None`: only on a case that does).
    pub coordination_reminders: Option<vulnrelay_store::ReminderSchedule>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_platform: None,
            forwarding: Forwarding::default(),
            max_body_bytes: 2 * 1024 * 1024,
            max_attachment_bytes: 1024 * 1024,
            max_attachments: 10,
            max_attachments_total_bytes: 4 * 1024 * 1024,
            session_hours: 12,
            login_attempts: 5,
            login_window: Duration::from_secs(15 * 60),
            public_url: None,
            allow_private_webhooks: false,
            cna_org_id: "00000000-0000-4000-8000-000000000000".into(),
            cna_short_name: "vulnrelay".into(),
            policy: vulnrelay_policy::Settings::default(),
            coordination_reminders: None,
        }
    }
}

/// What every operation shares: the store, the policy packs, the configuration and the
/// caches of what is derived from publication versions.
pub struct Shared {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The policy packs the platform evaluates cases against.
    pub packs: Vec<Pack>,
    /// The configuration.
    pub config: Config,
    /// What public distribution serves, as of the last stored change this process read.
    pub public: publication::PublicSlot,
    /// `http://ADDRESS` of the listener the server was given (the public URL when none
    /// is configured).
    pub bound_url: std::sync::OnceLock<String>,
    /// The key that signs the chains' heads (`vulnrelay_store::checkpoint`), when the
    /// platform was given one ([`App::sign_checkpoints_with`]).
    pub signer: std::sync::OnceLock<vulnrelay_store::checkpoint::Signer>,
    /// The OpenPGP key that signs the CSAF provider's documents, when the platform was
    /// given one ([`App::sign_csaf_with`]).
    pub csaf_signer: std::sync::OnceLock<vulnrelay_publish::openpgp::DocumentSigner>,
    /// This instance's federation identity, when it federates ([`App::federate_as`]).
    pub federation: std::sync::OnceLock<federation::Instance>,
    /// The last cases the coordination board read, while unchanged.
    pub boards: coordination::LoadedCache,
}

impl Shared {
    /// The URL the platform is reached at: the configured public URL, else the address
    /// it listens on, else `http://localhost` (a router used in-process).
    pub fn base_url(&self) -> String {
        match (&self.config.public_url, self.bound_url.get()) {
            (Some(url), _) => url.trim_end_matches('/').to_owned(),
            (None, Some(bound)) => bound.clone(),
            (None, None) => "http://localhost".to_owned(),
        }
    }

    /// Evaluates `case` against the platform's packs with its policy settings.
    pub fn evaluate<'a>(
        &'a self,
        case: &'a vulnrelay_domain::Case,
        options: &vulnrelay_policy::Options,
    ) -> Vec<vulnrelay_policy::Finding<'a>> {
        vulnrelay_policy::evaluate_with(case, &self.packs, options, &self.config.policy)
    }
}

/// The application: a cheap handle on [`Shared`], the one value every door holds.
#[derive(Clone)]
pub struct App(Arc<Shared>);

impl Deref for App {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl App {
    /// The application over `store`, evaluating the shipped policy packs; it keeps the
    /// store's case views with them.
    pub fn new(store: Arc<dyn Store>, config: Config) -> App {
        // The shipped packs are embedded and tested; failing to parse them is a build defect.
        let packs =
            vulnrelay_policy::builtin_packs().unwrap_or_else(|(name, e)| panic!("shipped pack {name}: {e}"));
        store.set_projector(Arc::new(projection::CaseProjector::new(packs.clone(), config.policy.clone())));
        App(Arc::new(Shared {
            store,
            packs,
            config,
            public: publication::PublicSlot::default(),
            bound_url: std::sync::OnceLock::new(),
            signer: std::sync::OnceLock::new(),
            csaf_signer: std::sync::OnceLock::new(),
            federation: std::sync::OnceLock::new(),
            boards: coordination::LoadedCache::default(),
        }))
    }

    /// Signs checkpoints of the chains' heads with `signer`: periodically (the worker)
    /// and on every publication.
    pub fn sign_checkpoints_with(&self, signer: vulnrelay_store::checkpoint::Signer) {
        let _ = self.signer.set(signer);
    }

    /// Signs every document of the CSAF provider with `signer` (a `.asc` beside each,
    /// the public key under `openpgp/`, the role of a trusted provider).
    pub fn sign_csaf_with(&self, signer: vulnrelay_publish::openpgp::DocumentSigner) {
        let _ = self.csaf_signer.set(signer);
    }

    /// Takes part in the federation as `instance`: publishes its identity, relays cases
    /// to organisations hosted on peers and takes in what peers relay.
    pub fn federate_as(&self, instance: federation::Instance) {
        let _ = self.federation.set(instance);
    }

    /// Signs the head of every chain not yet signed at its head, if the platform has a
    /// key; failures are logged (a checkpoint is signed at the next chance).
    pub async fn sign_heads(&self) {
        let Some(signer) = self.signer.get() else { return };
        match self.store.sign_heads(signer, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(checkpoints = n, "signed the heads of the hash chains"),
            Err(error) => tracing::warn!(%error, "signing checkpoints failed"),
        }
    }

    /// Signs the head of case `case_id`'s chain if the platform has a key and has not
    /// signed it there (a publication is signed at once, not at the worker's next beat);
    /// a failure is logged, and the worker signs it at its next beat.
    pub async fn sign_case_head(&self, case_id: &str) {
        let Some(signer) = self.signer.get() else { return };
        if let Err(error) = self.store.sign_case_head(signer, case_id, chrono::Utc::now()).await {
            tracing::warn!(case = %case_id, %error, "signing the case's checkpoint failed");
        }
    }
}
