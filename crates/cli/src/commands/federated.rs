//! `vulnrelay demo --federated`: four instances on consecutive ports — Alibaba Cloud's
//! PSIRT, MIIT's NVDB, CNVD and CNNVD —, peered with each other, replaying the
//! reporting chain of the Log4Shell story across them (docs/federation.md).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use vulnrelay_domain::{AccountRole, Jurisdiction, Role};
use vulnrelay_server::forwarding::{ForwardRule, Trigger};
use vulnrelay_server::{AppState, Config, Forwarding};
use vulnrelay_store::federation::Peer;
use vulnrelay_store::{NewAccount, Organisation, Status, Store};

/// One instance of the demo: who runs it, what it hosts, who it knows as remote.
struct Plan {
    name: &'static str,
    org: (&'static str, &'static str, Role, &'static str),
    account: &'static str,
    roles: &'static [AccountRole],
    /// Peers: (index of the instance, the organisations it hosts).
    peers: &'static [(usize, &'static [&'static str])],
    /// Other organisations this instance knows: (id, name, role, jurisdiction).
    known: &'static [(&'static str, &'static str, Role, &'static str)],
    rules: &'static [(&'static str, &'static [&'static str])],
}

const NVDB: (&str, &str, Role, &str) =
    ("miit-nvdb", "MIIT NVDB (工业和信息化部网络安全威胁和漏洞信息共享平台)", Role::RegulatorPlatform, "CN");
const CNVD: (&str, &str, Role, &str) =
    ("cnvd", "CNVD (国家信息安全漏洞共享平台)", Role::NationalVulnerabilityDb, "CN");
const CNNVD: (&str, &str, Role, &str) =
    ("cnnvd", "CNNVD (国家信息安全漏洞库)", Role::NationalVulnerabilityDb, "CN");
const ALIBABA: (&str, &str, Role, &str) =
    ("alibaba-cloud", "Alibaba Cloud Security Team", Role::Discoverer, "CN");
const APACHE: (&str, &str, Role, &str) =
    ("apache", "Apache Software Foundation", Role::ProductProvider, "US");

const PLANS: [Plan; 4] = [
    Plan {
        name: "Alibaba Cloud's PSIRT",
        org: ALIBABA,
        account: "security@alibaba-cloud.example",
        roles: &[AccountRole::Reporter],
        peers: &[(1, &["miit-nvdb"])],
        known: &[APACHE, NVDB],
        rules: &[],
    },
    Plan {
        name: "MIIT's NVDB",
        org: NVDB,
        account: "analyst@nvdb.miit.example",
        roles: &[AccountRole::Analyst],
        peers: &[(0, &["alibaba-cloud"]), (2, &["cnvd"]), (3, &["cnnvd"])],
        known: &[CNVD, CNNVD],
        rules: &[("miit-nvdb", &["cnvd", "cnnvd"])],
    },
    Plan {
        name: "CNVD",
        org: CNVD,
        account: "analyst@cnvd.example",
        roles: &[AccountRole::Analyst],
        peers: &[(1, &["miit-nvdb"])],
        known: &[NVDB],
        rules: &[],
    },
    Plan {
        name: "CNNVD",
        org: CNNVD,
        account: "analyst@cnnvd.example",
        roles: &[AccountRole::Analyst],
        peers: &[(1, &["miit-nvdb"])],
        known: &[NVDB],
        rules: &[],
    },
];

async fn add_org(
    store: &dyn Store,
    (id, name, role, jurisdiction): (&str, &str, Role, &str),
) -> anyhow::Result<()> {
    let jurisdiction: Jurisdiction = jurisdiction.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .create_org(&Organisation {
            id: id.into(),
            name: name.into(),
            name_zh: None,
            roles: vec![role],
            jurisdiction,
            individual: false,
            status: Status::Active,
            created_at: chrono::Utc::now(),
        })
        .await
        .with_context(|| format!("creating {id}"))
}

/// An account with a fresh password (printed) and an API token (for the replay).
async fn add_account(
    store: &dyn Store,
    email: &str,
    org: Option<&str>,
    roles: &[AccountRole],
) -> anyhow::Result<(String, String)> {
    let password = vulnrelay_server::auth::new_secret("")[..16].to_owned();
    let hash = vulnrelay_server::auth::hash_password(&password)?;
    let account = store
        .create_account(
            &NewAccount {
                email: email.into(),
                name: email.into(),
                password_hash: hash,
                org_id: org.map(str::to_owned),
                roles: roles.to_vec(),
                status: Status::Active,
            },
            chrono::Utc::now(),
        )
        .await
        .with_context(|| format!("creating {email}"))?;
    let token = vulnrelay_server::auth::new_secret("vr_");
    store
        .create_token(&account.id, "demo", &vulnrelay_server::auth::secret_hash(&token), chrono::Utc::now())
        .await?;
    Ok((password, token))
}

/// Runs the federated demo from `bind`'s port on (four consecutive ports).
pub async fn run(bind: &str) -> anyhow::Result<()> {
    let first: SocketAddr =
        bind.parse().with_context(|| format!("`{bind}` is not an address with a port"))?;
    let dir = tempfile::tempdir().context("creating a directory for the demo databases")?;
    let mut listeners = Vec::new();
    for i in 0..4u16 {
        let address = SocketAddr::new(first.ip(), first.port() + i);
        listeners.push(
            tokio::net::TcpListener::bind(address).await.with_context(|| format!("binding {address}"))?,
        );
    }
    let urls: Vec<String> =
        listeners.iter().map(|l| l.local_addr().map(|a| format!("http://{a}"))).collect::<Result<_, _>>()?;
    let mut tokens = Vec::new();
    let mut servers = Vec::new();
    println!("vulnrelay federated demo: four instances, peered along the reporting chain");
    for ((index, plan), listener) in PLANS.iter().enumerate().zip(listeners) {
        let path = dir.path().join(format!("instance-{index}.db"));
        let store = vulnrelay_store::connect(&format!("sqlite:{}", path.display())).await?;
        add_org(&*store, plan.org).await?;
        for known in plan.known {
            add_org(&*store, *known).await?;
        }
        let (password, token) = add_account(&*store, plan.account, Some(plan.org.0), plan.roles).await?;
        let admin_email = format!("admin@{}.example", plan.org.0);
        let (admin_password, _) = add_account(&*store, &admin_email, None, &[AccountRole::Admin]).await?;
        let seed = vulnrelay_store::checkpoint::load_or_create_seed(
            &dir.path().join(format!("instance-{index}.key")),
        )?;
        let identity = vulnrelay_federation::Identity::from_seed(seed);
        println!("\n{} — {}  (key {})", plan.name, urls[index], identity.fingerprint());
        println!("  {:<34} {}", plan.account, password);
        println!("  {admin_email:<34} {admin_password}");
        let forwarding = Forwarding {
            member_routes: Vec::new(),
            rules: plan
                .rules
                .iter()
                .map(|(from, to)| ForwardRule {
                    from: (*from).into(),
                    when: Trigger::Verified,
                    to: to.iter().map(|t| (*t).to_owned()).collect(),
                    note: Some("Forwarded at once on acceptance (Art. 7 para. 2)".into()),
                })
                .collect(),
        };
        let config = Config { forwarding, public_url: Some(urls[index].clone()), ..Config::default() };
        let state = AppState::new(store, config);
        state.federate_as(vulnrelay_server::federation::Instance::new(
            identity,
            vec![plan.org.0.to_owned()],
            Duration::from_secs(10),
        ));
        let worker = vulnrelay_server::worker::WorkerConfig {
            poll_interval: Duration::from_millis(200),
            deny_private_networks: false,
            ..Default::default()
        };
        vulnrelay_server::worker::spawn(state.app.clone(), worker, std::future::pending());
        tokens.push(token);
        servers.push((state, listener));
    }
    // Peering: each instance records the others' keys, as operators would out of band.
    let keys: Vec<String> = servers
        .iter()
        .map(|(s, _)| s.federation.get().map(|i| i.identity.public_key()).unwrap_or_default())
        .collect();
    for (plan, (state, _)) in PLANS.iter().zip(&servers) {
        for (peer, orgs) in plan.peers {
            state
                .store
                .add_peer(&Peer {
                    id: PLANS[*peer].org.0.into(),
                    url: urls[*peer].clone(),
                    public_key: keys[*peer].clone(),
                    orgs: orgs.iter().map(|o| (*o).to_owned()).collect(),
                    created_at: chrono::Utc::now(),
                })
                .await?;
        }
    }
    let mut tasks = Vec::new();
    for (state, listener) in servers {
        tasks.push(tokio::spawn(vulnrelay_server::serve(
            listener,
            state,
            crate::commands::serve::shutdown_signal(),
        )));
    }
    replay(&urls, &tokens).await.context("replaying the story")?;
    println!("\nserving until Ctrl-C");
    for task in tasks {
        let _ = task.await;
    }
    drop(dir);
    Ok(())
}

/// POSTs `body` to `url`; an answer `stale` (the case changed meanwhile — a relay
/// arriving on it — and nothing was written) is retried, as the API asks.
async fn call(url: String, token: &str, body: Value) -> anyhow::Result<Value> {
    let client = reqwest::Client::new();
    let mut attempts = 0;
    loop {
        let response = client.post(&url).bearer_auth(token).json(&body).send().await?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(answer);
        }
        attempts += 1;
        if answer["error"]["code"] != "stale" || attempts >= 20 {
            bail!("{url}: {status}: {answer}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `url` until `found` holds of its answer (the relays travel in the background).
async fn wait_for(
    url: &str,
    token: &str,
    what: &str,
    found: impl Fn(&Value) -> Option<String>,
) -> anyhow::Result<String> {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        let answer: Value =
            client.get(url).bearer_auth(token).send().await?.json().await.unwrap_or(Value::Null);
        if let Some(value) = found(&answer) {
            return Ok(value);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("{what} did not arrive")
}

/// The chain of the story: Alibaba Cloud's report to MIIT, relayed with MIIT's signed
/// receipt; MIIT verifies and forwards to CNVD and CNNVD; CNVD's verification, with
/// the ID it assigned, flows back to the company.
async fn replay(urls: &[String], tokens: &[String]) -> anyhow::Result<()> {
    println!(
        "\nThe story (in 2021 Alibaba Cloud never sent this report — the ministry learned of the bug 15 days later; here it is sent):"
    );
    let mut report = vulnrelay_server::demo::log4shell_report();
    report["title"] = json!("Apache Log4j2 JNDI lookup remote code execution");
    report["platform"] = json!("miit-nvdb");
    let answer = call(format!("{}/api/v1/reports", urls[0]), &tokens[0], report).await?;
    let origin = answer["case"].as_str().unwrap_or_default().to_owned();
    println!("  1. Alibaba Cloud reports to MIIT's NVDB: case {origin} at {}", urls[0]);
    let relays = format!("{}/api/v1/cases/{origin}/relays", urls[0]);
    let received = wait_for(&relays, &tokens[0], "MIIT's receipt", |v| {
        v["relays"][0]["receipt"]["receipt"]["received_at"].as_str().map(str::to_owned)
    })
    .await?;
    println!("  2. MIIT's instance signs a receipt: received at {received} (on the company's timeline)");
    let cases = format!("{}/api/v1/cases", urls[1]);
    let mirror = wait_for(&cases, &tokens[1], "the mirror at NVDB", |v| {
        v["cases"][0]["id"].as_str().map(str::to_owned)
    })
    .await?;
    call(format!("{}/api/v1/cases/{mirror}/events", urls[1]), &tokens[1], json!({"type": "verified"}))
        .await?;
    println!("  3. MIIT verifies its mirror {mirror}; its forwarding rules relay it to CNVD and CNNVD");
    let cnvd_cases = format!("{}/api/v1/cases", urls[2]);
    let cnvd_case = wait_for(&cnvd_cases, &tokens[2], "the mirror at CNVD", |v| {
        v["cases"][0]["id"].as_str().map(str::to_owned)
    })
    .await?;
    call(
        format!("{}/api/v1/cases/{cnvd_case}/events", urls[2]),
        &tokens[2],
        json!({"type": "verified", "note": "CNVD verified it and assigned CNVD-2021-95914"}),
    )
    .await?;
    println!("  4. CNVD verifies ({cnvd_case}) and assigns CNVD-2021-95914; it flows back through MIIT");
    let events = format!("{}/api/v1/cases/{origin}/events", urls[0]);
    wait_for(&events, &tokens[0], "CNVD's verification at the company", |v| {
        v.to_string().contains("CNVD-2021-95914").then(|| "yes".to_owned())
    })
    .await?;
    println!(
        "  5. The company's case {origin} shows CNVD's verification: {}/api/v1/cases/{origin}/events",
        urls[0]
    );
    Ok(())
}
