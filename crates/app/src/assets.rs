//! Asset groups (an organisation's inventory): uploaded as a CycloneDX SBOM, by
//! `vulnrelay scan --upload` or by hand, each upload kept in the group's history, and
//! matched against the records at once.

use serde_json::{Value, json};
use vulnrelay_store::Account;
use vulnrelay_store::warnings::{AssetComponent, AssetGroup};

use crate::App;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::warnings::rematch_org;

/// The caller's account and organisation (403 for an account of no organisation).
pub fn member(caller: &Caller) -> Result<(&Account, String)> {
    let account = caller.require()?;
    let org =
        account.org_id.clone().ok_or_else(|| Error::forbidden("this needs an account of an organisation"))?;
    Ok((account, org))
}

fn group_json(group: &AssetGroup) -> Value {
    json!({
        "name": group.name, "org": group.org_id, "source": group.source, "revision": group.revision,
        "components": group.components, "created_at": group.created_at.to_rfc3339(),
        "updated_at": group.updated_at.to_rfc3339(),
    })
}

fn component_json(c: &AssetComponent) -> Value {
    json!({"name": c.name, "version": c.version, "purl": c.purl, "bom_ref": c.bom_ref})
}

/// The largest SBOM `PUT /api/v1/assets/groups/{name}` accepts (the API's general
/// body limit is smaller): 16 MiB, about 40,000 CycloneDX components with hashes and
/// licences. A larger estate is uploaded as several groups.
pub const MAX_SBOM_BYTES: usize = 16 * 1024 * 1024;

/// The most components one upload may list.
pub const MAX_COMPONENTS: usize = 50_000;

/// A parsed SBOM takes many times its size in memory. Uploads are parsed one at a
/// time on one thread of their own: the allocator serves each parse from that
/// thread's arena and reuses it for the next, so many uploads (even at once) cost the
/// memory of one, where parses on the runtime's threads would each leave their arena
/// grown.
struct Parser {
    jobs: std::sync::mpsc::SyncSender<(bytes::Bytes, tokio::sync::oneshot::Sender<Result<Parsed>>)>,
}

/// The components of an upload, and whether it was a CycloneDX BOM.
type Parsed = (Vec<AssetComponent>, bool);

impl Parser {
    fn get() -> &'static Parser {
        static PARSER: std::sync::OnceLock<Parser> = std::sync::OnceLock::new();
        PARSER.get_or_init(|| {
            let (jobs, queue) = std::sync::mpsc::sync_channel::<(
                bytes::Bytes,
                tokio::sync::oneshot::Sender<Result<Parsed>>,
            )>(2);
            let spawned = std::thread::Builder::new().name("vulnrelay-uploads".into()).spawn(move || {
                for (bytes, answer) in queue {
                    let parsed = serde_json::from_slice::<Value>(&bytes)
                        .map_err(|e| Error::bad_request(format!("malformed JSON: {e}")))
                        .and_then(read_components);
                    drop(bytes);
                    let _ = answer.send(parsed);
                }
            });
            if let Err(error) = spawned {
                tracing::error!(%error, "the upload parser thread did not start");
            }
            Parser { jobs }
        })
    }

    /// Parses `bytes` on the parser's thread.
    async fn parse(&self, bytes: bytes::Bytes) -> Result<Parsed> {
        let (answer, parsed) = tokio::sync::oneshot::channel();
        let jobs = self.jobs.clone();
        tokio::task::spawn_blocking(move || jobs.send((bytes, answer)))
            .await
            .map_err(Error::internal)?
            .map_err(|_| Error::internal("the upload parser thread is gone"))?;
        parsed.await.map_err(|_| Error::internal("the upload parser dropped a job"))?
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
}

/// Reads a hand-made inventory: `{"components": [{"name", "version", "purl"}]}`.
fn manual_components(body: &Value) -> Result<Vec<AssetComponent>> {
    let Some(items) = body.get("components").and_then(Value::as_array) else {
        return Err(Error::invalid(vec![(
            "$".into(),
            "expected a CycloneDX BOM or an object with a `components` array".into(),
        )]));
    };
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
        let purl = text("purl");
        if let Some(p) = &purl
            && let Err(e) = vulnrelay_match::parse_purl(p)
        {
            problems.push((format!("$.components[{i}].purl"), e.to_string()));
        }
        let name = text("name").or_else(|| purl.clone()).unwrap_or_default();
        if name.is_empty() {
            problems.push((format!("$.components[{i}]"), "needs a name or a purl".into()));
        }
        out.push(AssetComponent { name, version: text("version"), purl, bom_ref: None });
    }
    if problems.is_empty() { Ok(out) } else { Err(Error::invalid(problems)) }
}

/// The components of an upload, with whether it was a CycloneDX BOM.
fn read_components(body: Value) -> Result<Parsed> {
    let is_bom = body.get("bomFormat").is_some();
    let listed = body.get("components").and_then(Value::as_array).map_or(0, Vec::len);
    if listed > MAX_COMPONENTS {
        return Err(Error::invalid(vec![(
            "$.components".into(),
            format!("{listed} components; an upload lists at most {MAX_COMPONENTS} (split it into groups)"),
        )]));
    }
    let components = if is_bom {
        vulnrelay_formats::sbom::parse(&body)
            .map_err(|problems| Error::invalid(problems.into_iter().map(|p| (p.path, p.message)).collect()))?
            .into_iter()
            .map(|c| AssetComponent {
                name: match &c.group {
                    Some(group) => format!("{group}:{}", c.name),
                    None => c.name,
                },
                version: c.version,
                purl: c.purl,
                bom_ref: c.bom_ref,
            })
            .collect()
    } else {
        manual_components(&body)?
    };
    Ok((components, is_bom))
}

async fn put_components(
    state: &App,
    account_id: &str,
    org: &str,
    name: &str,
    source: Option<&str>,
    (components, is_bom): (Vec<AssetComponent>, bool),
) -> Result<Value> {
    let source = match source {
        None if is_bom => "sbom",
        None => "manual",
        Some(s @ ("sbom" | "scan" | "manual")) => s,
        Some(other) => {
            return Err(Error::invalid(vec![(
                "source".into(),
                format!("`{other}` is not sbom, scan or manual"),
            )]));
        }
    };
    let group = state
        .store
        .put_asset_group(org, name, source, &components, Some(account_id), chrono::Utc::now())
        .await?;
    let rematch = rematch_org(state, org).await?;
    let mut answer = group_json(&group);
    answer["matching"] = json!({"affected": rematch.affected, "warnings_written": rematch.written});
    Ok(answer)
}

/// `GET /api/v1/assets/groups`: the caller's organisation's asset groups.
pub async fn list_groups(state: &App, caller: &Caller) -> Result<Value> {
    let (_, org) = member(caller)?;
    let groups = state.store.asset_groups(Some(&org)).await?;
    Ok(json!({"org": org, "groups": groups.iter().map(group_json).collect::<Vec<_>>()}))
}

/// `GET /api/v1/assets/groups/{name}`: a group with its current components.
pub async fn show_group(state: &App, caller: &Caller, name: String) -> Result<Value> {
    let (_, org) = member(caller)?;
    let (group, components) = state.store.asset_group(&org, &name).await?;
    let mut body = group_json(&group);
    body["components"] = components.iter().map(component_json).collect();
    body["component_count"] = json!(group.components);
    Ok(body)
}

/// `GET /api/v1/assets/groups/{name}/history`: every upload of a group.
pub async fn group_history(state: &App, caller: &Caller, name: String) -> Result<Value> {
    let (_, org) = member(caller)?;
    let history = state.store.asset_history(&org, &name).await?;
    let revisions: Vec<Value> = history
        .iter()
        .map(|r| {
            json!({
                "revision": r.revision, "source": r.source, "uploaded_by": r.uploaded_by,
                "uploaded_at": r.uploaded_at.to_rfc3339(),
                "components": r.components.iter().map(component_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({"name": name, "revisions": revisions}))
}

/// `PUT /api/v1/assets/groups/{name}`: replaces a group's components (the previous
/// upload stays in its history) from a CycloneDX 1.4–1.6 JSON SBOM (validated against
/// the schema) or a `{"components": [...]}` list, then re-runs matching for the
/// organisation.
pub async fn put_group(
    state: &App,
    caller: &Caller,
    name: String,
    source: Option<&str>,
    bytes: bytes::Bytes,
) -> Result<Value> {
    let (account, org) = member(caller)?;
    if !valid_name(&name) {
        return Err(Error::invalid(vec![(
            "name".into(),
            "1 to 100 letters, digits, spaces, `-`, `_` or `.`".into(),
        )]));
    }
    // The body was read within the upload limit; it is parsed on the parser's thread.
    let components = Parser::get().parse(bytes).await?;
    put_components(state, &account.id, &org, &name, source, components).await
}
