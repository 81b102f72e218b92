//! The organisations: one regulator platform, then reporters (`r{n}`), product
//! providers (`p{n}`) and industry units (`u{n}`).

use vulnrelay_domain::{Jurisdiction, Role};
use vulnrelay_store::Store;

use super::Shape;

/// The platform's id.
pub const PLATFORM: &str = "platform";

/// How many of each kind: (reporters, providers, industry units).
pub fn counts(shape: &Shape) -> (usize, usize, usize) {
    let rest = shape.orgs.saturating_sub(1).max(3);
    let reporters = (rest / 5).max(1);
    let providers = (rest * 3 / 5).max(1);
    (reporters, providers, rest.saturating_sub(reporters + providers).max(1))
}

/// A provider's jurisdiction: one in three is Chinese.
pub fn provider_jurisdiction(provider: usize) -> &'static str {
    if provider.is_multiple_of(3) { "CN" } else { "US" }
}

/// Writes the organisations.
pub async fn write(store: &dyn Store, shape: &Shape) -> vulnrelay_store::Result<()> {
    let (reporters, providers, units) = counts(shape);
    let org = |id: String, name: String, role: Role, jurisdiction: &str| {
        crate::generated_org(
            &id,
            name,
            vec![role],
            jurisdiction.parse::<Jurisdiction>().expect("a jurisdiction"),
        )
    };
    store
        .create_org(&org(
            PLATFORM.into(),
            "Regulator platform [generated]".into(),
            Role::RegulatorPlatform,
            "CN",
        ))
        .await?;
    for r in 0..reporters {
        let name = format!("Reporting unit {r} [generated]");
        store.create_org(&org(format!("r{r}"), name, Role::Discoverer, "CN")).await?;
    }
    for p in 0..providers {
        let name = format!("Provider {p} [generated]");
        store
            .create_org(&org(format!("p{p}"), name, Role::ProductProvider, provider_jurisdiction(p)))
            .await?;
    }
    for u in 0..units {
        let name = format!("Industry unit {u} [generated]");
        store.create_org(&org(format!("u{u}"), name, Role::ProductUser, "CN")).await?;
    }
    Ok(())
}
