//! `vulnrelay-bench gen`: writes the generated data set of a national platform (issue
//! 18) into a SQLite file or a PostgreSQL database — deterministic from a seed, clearly
//! synthetic —, printing progress and rates. See `vulnrelay_bench::dataset`.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use vulnrelay_bench::dataset::{self, Database, Shape};

/// Benchmark tools of vulnrelay.
#[derive(Debug, Parser)]
#[command(name = "vulnrelay-bench")]
enum Command {
    /// Generates the data set (default: the national size — 1,000,000 cases,
    /// 5,000 organisations, 300,000 records, 100,000 inventories of 100 components).
    Gen(GenArgs),
}

/// What `gen` writes, and where.
#[derive(Debug, clap::Args)]
struct GenArgs {
    /// The database: a SQLite file path (created) or a `postgres://` URL (migrated);
    /// it must hold no generated data set yet.
    #[arg(long)]
    db: String,
    /// Cases; the records (3 per 10 cases) and inventories (1 per 10) scale with it
    /// unless given.
    #[arg(long, default_value_t = 1_000_000)]
    cases: usize,
    /// Organisations.
    #[arg(long)]
    orgs: Option<usize>,
    /// Vulnerability records.
    #[arg(long)]
    records: Option<usize>,
    /// Asset inventories.
    #[arg(long)]
    inventories: Option<usize>,
    /// Components per inventory.
    #[arg(long)]
    components: Option<usize>,
    /// The seed.
    #[arg(long, default_value_t = 18)]
    seed: u64,
    /// Writes in flight (default: 1 on SQLite, which has one writer; 4 on PostgreSQL).
    #[arg(long)]
    jobs: Option<usize>,
    /// Cases per transaction (1: each in its own, as intake writes them).
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// `inline`: each case's views written with it by the server's projector (as
    /// intake does); `rebuild`: the cases first, then every view recomputed.
    #[arg(long, default_value = "inline", value_parser = ["inline", "rebuild"])]
    views: String,
}

fn main() -> ExitCode {
    let Command::Gen(args) = Command::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    match runtime.block_on(gen_command(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn gen_command(args: GenArgs) -> Result<(), String> {
    let database = Database::open(&args.db).await?;
    let base = Shape::scaled(args.cases);
    let shape = Shape {
        orgs: args.orgs.unwrap_or(base.orgs),
        records: args.records.unwrap_or(base.records),
        inventories: args.inventories.unwrap_or(base.inventories),
        components: args.components.unwrap_or(base.components),
        seed: args.seed,
        batch: args.batch,
        jobs: args.jobs.unwrap_or(if database.sqlite.is_some() { 1 } else { 4 }),
        ..base
    };
    if shape.orgs < 4 {
        return Err("--orgs must be at least 4 (a platform, a reporter, a provider, an industry unit)".into());
    }
    eprintln!("generating into {} ({}): {shape:?}", args.db, database.name());
    let projector = dataset::server_projector();
    let inline = args.views == "inline";
    if inline {
        database.store.set_projector(projector.clone());
    }
    database.set_durable(false).await?;
    let started = Instant::now();
    let generated = dataset::generate(&database.store, &shape).await?;
    let rebuild = Instant::now();
    if !inline {
        database.store.set_projector(projector);
        let views = database.store.project_stale(chrono::Utc::now()).await.map_err(|e| e.to_string())?;
        eprintln!("  views of {views} cases recomputed in {:.1} s", rebuild.elapsed().as_secs_f64());
    }
    database.set_durable(true).await?;
    let analyzed = Instant::now();
    database.analyze().await?;
    eprintln!("  planner statistics gathered in {:.1} s", analyzed.elapsed().as_secs_f64());
    let rate = |n: usize, i: usize| n as f64 / generated.took[i].as_secs_f64().max(1e-9);
    println!(
        "generated on {} in {:.1} s: {} organisations ({:.1} s); {} cases with {} events, {} published ({:.1} s, {:.0} cases/s, {:.0} events/s); {} records ({:.1} s, {:.0}/s); {} inventories of {} components ({:.1} s, {:.0}/s){}",
        database.name(),
        started.elapsed().as_secs_f64(),
        shape.orgs,
        generated.took[0].as_secs_f64(),
        generated.cases,
        generated.events,
        generated.published,
        generated.took[1].as_secs_f64(),
        rate(generated.cases, 1),
        rate(generated.events, 1),
        generated.records,
        generated.took[2].as_secs_f64(),
        rate(generated.records, 2),
        generated.inventories,
        shape.components,
        generated.took[3].as_secs_f64(),
        rate(generated.inventories, 3),
        if inline {
            String::new()
        } else {
            format!("; views rebuilt in {:.1} s", rebuild.elapsed().as_secs_f64())
        },
    );
    Ok(())
}
