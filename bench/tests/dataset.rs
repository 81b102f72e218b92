//! The generated data set: what the shape asks for, the same data from the same seed on
//! every back end, views equal to a recomputation from the event log, and the records
//! the benchmarks look up where they expect them.

use std::sync::Arc;

use vulnrelay_bench::dataset::{self, Shape};
use vulnrelay_store::Store;
use vulnrelay_store::testing::TestDb;

fn small() -> Shape {
    Shape { cases: 60, orgs: 12, records: 21, inventories: 4, components: 7, seed: 7, jobs: 2, batch: 7 }
}

/// What a generation left, without the ids the store draws at random: each case's
/// title with its events, each record with its case's title, each inventory.
async fn fingerprint(store: &Arc<dyn Store>, shape: &Shape) -> Vec<String> {
    let mut out = Vec::new();
    let cases = store.list_cases().await.unwrap();
    let title = |id: &str| cases.iter().find(|c| c.id == id).map(|c| c.title.clone()).unwrap();
    for case in &cases {
        let events: Vec<String> = store.events(&case.id).await.unwrap().into_iter().map(|e| e.body).collect();
        out.push(format!("{} {} {}", case.title, case.created_at, events.join(" ")));
    }
    for v in store.vulnerabilities(None).await.unwrap() {
        out.push(format!("{} {:?} {}", v.id, v.case_id.as_deref().map(title), v.record));
    }
    let (_, _, units) = shape.kinds();
    for n in 0..shape.inventories {
        let org = format!("u{}", n % units);
        let (group, components) = store.asset_group(&org, &format!("asset-group-{n}")).await.unwrap();
        out.push(format!("{} {} {components:?}", group.org_id, group.name));
    }
    out
}

#[tokio::test]
async fn the_data_set_is_what_the_shape_asks_for_the_same_on_every_back_end_and_projected_as_the_server_would()
 {
    let shape = small();
    let mut fingerprints = Vec::new();
    let mut dbs = TestDb::all().await;
    dbs.push(TestDb::sqlite().await);
    for db in &dbs {
        let projector = dataset::server_projector();
        db.store.set_projector(projector.clone());
        let generated = dataset::generate(&db.store, &shape).await.unwrap();
        assert_eq!(generated.cases, 60, "{}", db.name);
        assert_eq!(generated.records, 21, "{}", db.name);
        assert_eq!(generated.inventories, 4, "{}", db.name);
        assert_eq!(store_count(&db.store).await, (12, 60), "{}", db.name);
        // Six cases in ten published, ten events per case on average.
        assert!((25..=50).contains(&generated.published), "{}: {} published", db.name, generated.published);
        assert!((8 * 60..=12 * 60).contains(&generated.events), "{}: {} events", db.name, generated.events);
        // The views are those the server's projector computes from the log.
        let drifted =
            vulnrelay_server::projection::drifted(db.store.as_ref(), &projector, chrono::Utc::now())
                .await
                .unwrap();
        assert!(drifted.is_empty(), "{}: {drifted:?}", db.name);
        // The advisory the benchmark asks for is a record of a published case.
        let record = db.store.vulnerability(&dataset::first_case_record()).await.unwrap();
        let case = record.case_id.expect("a record of a case");
        assert!(db.store.projection(&case).await.unwrap().expect("views").published, "{}", db.name);
        // Two thirds of the records belong to cases.
        let of_cases =
            db.store.vulnerabilities(None).await.unwrap().iter().filter(|v| v.case_id.is_some()).count();
        assert_eq!(of_cases, 14, "{}", db.name);
        // A second generation into the same database is refused.
        let again = dataset::generate(&db.store, &shape).await.unwrap_err();
        assert!(again.contains("already holds"), "{again}");
        fingerprints.push((db.name, fingerprint(&db.store, &shape).await));
    }
    let (first_name, first) = &fingerprints[0];
    assert_eq!(first.len(), 60 + 21 + 4);
    for (name, other) in &fingerprints[1..] {
        assert_eq!(other, first, "{name} differs from {first_name}");
    }
    // Another seed gives other data.
    let db = TestDb::sqlite().await;
    let other = Shape { seed: 8, ..small() };
    dataset::generate(&db.store, &other).await.unwrap();
    assert_ne!(&fingerprint(&db.store, &other).await, first);
}

async fn store_count(store: &Arc<dyn Store>) -> (usize, usize) {
    (store.list_orgs(None).await.unwrap().len(), store.case_ids().await.unwrap().len())
}
