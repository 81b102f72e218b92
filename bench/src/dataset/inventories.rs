//! The asset inventories: asset groups of the industry units (`asset-group-n`), each of
//! [`Shape::components`] components with package URLs; about half name a package some
//! record covers, at a version that may or may not be affected.

use std::sync::Arc;

use vulnrelay_store::Store;
use vulnrelay_store::warnings::AssetComponent;

use super::orgs::counts;
use super::records::{package, packages};
use super::{Mix, Progress, Shape, run_bounded};

/// The components of inventory `n`.
pub fn components(shape: &Shape, n: usize) -> Vec<AssetComponent> {
    let mut mix = Mix::new(shape.seed, 3_000_000_000 + n as u64);
    (0..shape.components)
        .map(|c| {
            let (_, name, purl) = package(mix.below(packages(shape) * 2));
            let version = format!("{}.{}.{}", mix.below(5), mix.below(20), mix.below(10));
            AssetComponent {
                purl: Some(format!("{purl}@{version}")),
                name,
                version: Some(version),
                bom_ref: Some(format!("component-{c}")),
            }
        })
        .collect()
}

/// Writes the inventories.
pub async fn write(store: &Arc<dyn Store>, shape: &Shape) -> Result<usize, String> {
    let (_, _, units) = counts(shape);
    let mut progress = Progress::new("inventories", shape.inventories);
    let at = super::end();
    let written = run_bounded(shape.inventories, shape.jobs, &mut progress, |n| {
        let components = components(shape, n);
        let store = store.clone();
        async move {
            let org = format!("u{}", n % units);
            store
                .put_asset_group(&org, &format!("asset-group-{n}"), "sbom", &components, None, at)
                .await
                .map(|_| ())
                .map_err(|e| format!("inventory {n}: {e}"))
        }
    })
    .await?;
    Ok(written.len())
}
