//! Audit archives on both backends, through the real router: months past the
//! retention leave the database for gzip files that hold every column, the files
//! are listed and downloadable by admins only, a month restores exactly (and is then
//! left alone by the retention until archived again), a damaged or missing file
//! restores nothing, and an archived row's id is never handed out again.

use std::io::Read;

use app::audit::archive::{self, ArchivedRow, Month};
use http::StatusCode;

use crate::common::{TestApp, STAFF_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    months_past_the_retention_move_to_files_and_come_back_exactly,
    a_damaged_or_missing_archive_restores_nothing,
    an_archived_rows_id_is_never_handed_out_again,
);

const MARCH: &str = "2024-03";
const APRIL: &str = "2024-04";

/// Every audit row with `at` in `month`, as the archive writes them, by id.
async fn rows_of(app: &TestApp, month: Month) -> Vec<ArchivedRow> {
    app::db!(&app.db, pool => sqlx::query_as::<_, ArchivedRow>(
        "SELECT a.id, a.at, a.actor_id, u.name AS actor, a.entity, a.entity_id, a.action, a.field,
                a.old_value, a.new_value, a.client_ip, a.user_agent
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
          WHERE a.at >= $1 AND a.at < $2 ORDER BY a.id"
    ).bind(month.start_ms()).bind(month.next().start_ms()).fetch_all(pool).await)
    .unwrap()
}

/// Writes `n` audit rows dated within `month`, with every column filled in some and
/// empty in others.
async fn backdated(app: &TestApp, actor: i64, month: Month, n: i64) {
    for i in 0..n {
        let field = (i % 2 == 0).then_some("phone");
        let agent = (i % 3 != 0).then(|| format!("Browser/{i} “quoted”\ttab"));
        app::db!(&app.db, pool => sqlx::query(
            "INSERT INTO audit_log (actor_id, entity, entity_id, action, field, old_value, new_value, at, client_ip, user_agent)
             VALUES ($1, 'customer', $2, 'changed', $3, $4, $5, $6, $7, $8)"
        )
        .bind((i % 4 != 0).then_some(actor))
        .bind(100 + i)
        .bind(field)
        .bind(format!("old {i}\nline"))
        .bind((i % 5 != 0).then(|| format!("new {i} — ünï")))
        .bind(month.start_ms() + i * 3_600_000)
        .bind(format!("198.51.100.{i}"))
        .bind(agent)
        .execute(pool).await.map(|_| ()))
        .unwrap();
    }
}

/// Asks for `action` (restore, archive) on `month` as the holder of `cookie`.
async fn on_month(app: &TestApp, action: &str, month: &str, cookie: &str) -> crate::common::Reply {
    app.call(
        &format!("/api/admin/audit/{action}"),
        &[("month", month)],
        Some(cookie),
    )
    .await
}

async fn admin_id(app: &TestApp) -> i64 {
    app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE role = 'admin'")
        .fetch_one(pool).await)
    .unwrap()
}

fn dir(app: &TestApp) -> std::path::PathBuf {
    app.state.settings.audit_archive_dir.clone()
}

/// The rows of a downloaded archive.
fn decoded(gz: &[u8]) -> Vec<ArchivedRow> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut text)
        .expect("a gzip file");
    let mut rows: Vec<ArchivedRow> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON audit row per line"))
        .collect();
    rows.sort_by_key(|r| r.id);
    rows
}

/// The months listed in Admin → Audit's archives, with their row counts and whether
/// they were restored.
async fn listed(app: &TestApp) -> Vec<(String, i64, bool)> {
    archive::overview(&app.db)
        .await
        .unwrap()
        .archives
        .into_iter()
        .map(|a| (a.month, a.row_count, a.restored_at.is_some()))
        .collect()
}

/// Waits (up to ten seconds) for the archiving that saving the retention started.
async fn until_listed(app: &TestApp, months: usize) {
    for _ in 0..200 {
        if listed(app).await.len() >= months {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the retention archived nothing: {:?}", listed(app).await);
}

async fn months_past_the_retention_move_to_files_and_come_back_exactly(app: &TestApp) {
    let admin = app.setup_admin().await;
    let actor = admin_id(app).await;
    let (march, april) = (Month::parse(MARCH).unwrap(), Month::parse(APRIL).unwrap());
    backdated(app, actor, march, 7).await;
    backdated(app, actor, april, 3).await;
    let march_rows = rows_of(app, march).await;
    assert_eq!(march_rows.len(), 7);
    let agent = app
        .create_person(&admin, "Aggie Agent", "aggie@example.com", "agent")
        .await;
    assert_eq!(agent.status, StatusCode::OK, "{}", agent.body);
    let agent = app.signed_in("aggie@example.com", STAFF_PASSWORD).await;

    // Forever by default: nothing moves.
    assert!(
        archive::archive_due(&app.db, &dir(app), app::store::now_ms())
            .await
            .unwrap()
            .is_empty()
    );
    // A retention is whole months; an agent may not set one.
    for bad in ["0", "1201", "two"] {
        let r = app
            .call(
                "/api/admin/audit/retention",
                &[("months", bad)],
                Some(&admin),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
        assert!(r.body.contains("months"), "{}", r.body);
    }
    let r = app
        .call(
            "/api/admin/audit/retention",
            &[("months", "2")],
            Some(&agent),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(archive::retention(&app.db).await.unwrap(), None);

    let r = app
        .call(
            "/api/admin/audit/retention",
            &[("months", "2")],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(archive::retention(&app.db).await.unwrap(), Some(2));
    until_listed(app, 2).await;
    assert_eq!(
        listed(app).await,
        vec![(APRIL.to_string(), 3, false), (MARCH.to_string(), 7, false)]
    );
    assert!(
        rows_of(app, march).await.is_empty(),
        "the month left the database"
    );
    assert!(rows_of(app, april).await.is_empty());
    let now = rows_of(app, Month::of(app::store::now_ms())).await;
    assert!(
        now.iter()
            .any(|r| r.entity == "setting" && r.new_value.as_deref() == Some("2")),
        "the retention's change is audited: {now:?}"
    );
    assert!(
        now.iter()
            .any(|r| r.action == "archived" && r.new_value.as_deref() == Some("2024-03 (7 rows)")),
        "the move is audited"
    );

    // The page lists the months; the file is every column of every row, for admins.
    let page = app.get("/admin/audit", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Download 2024-03"),
        "listed on Admin → Audit"
    );
    let file = app.get("/admin/audit/archives/2024-03", Some(&admin)).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(decoded(&file.bytes), march_rows);
    for (who, status) in [
        (Some(agent.as_str()), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(
            app.get("/admin/audit/archives/2024-03", who).await.status,
            status
        );
    }
    for missing in ["2023-01", "2024-3", "..%2F..%2Fetc"] {
        let r = app
            .get(&format!("/admin/audit/archives/{missing}"), Some(&admin))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{missing}");
    }

    // Restored exactly, by admins only; the retention then leaves the month alone.
    let r = on_month(app, "restore", MARCH, &agent).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(rows_of(app, march).await.is_empty());
    let r = on_month(app, "restore", MARCH, &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(rows_of(app, march).await, march_rows);
    assert_eq!(listed(app).await[1], (MARCH.to_string(), 7, true));
    archive::archive_due(&app.db, &dir(app), app::store::now_ms())
        .await
        .unwrap();
    assert_eq!(
        rows_of(app, march).await,
        march_rows,
        "a restored month stays"
    );
    // A second restore adds nothing twice.
    let r = on_month(app, "restore", MARCH, &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(rows_of(app, march).await, march_rows);

    // Archived again on request: out of the database, the file still whole.
    let r = on_month(app, "archive", MARCH, &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(rows_of(app, march).await.is_empty());
    assert_eq!(listed(app).await[1], (MARCH.to_string(), 7, false));
    let file = app.get("/admin/audit/archives/2024-03", Some(&admin)).await;
    assert_eq!(decoded(&file.bytes), march_rows);
    let r = on_month(app, "restore", "2023-01", &admin).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not archived");
}

async fn a_damaged_or_missing_archive_restores_nothing(app: &TestApp) {
    let admin = app.setup_admin().await;
    let actor = admin_id(app).await;
    let march = Month::parse(MARCH).unwrap();
    backdated(app, actor, march, 4).await;
    let rows = rows_of(app, march).await;
    assert_eq!(
        archive::archive_month(&app.db, &dir(app), march, Some(actor))
            .await
            .unwrap(),
        4
    );
    let path = archive::archive_path(&dir(app), march);
    let good = std::fs::read(&path).unwrap();

    // Three good rows, then a line that is not one: nothing comes back.
    let mut text = String::new();
    flate2::read::GzDecoder::new(&good[..])
        .read_to_string(&mut text)
        .unwrap();
    let mut damaged: Vec<&str> = text.lines().take(3).collect();
    damaged.push("{\"id\": \"not a row\"");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, damaged.join("\n").as_bytes()).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let r = on_month(app, "restore", MARCH, &admin).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Line 4"), "{}", r.body);
    assert!(rows_of(app, march).await.is_empty(), "nothing restored");
    assert_eq!(listed(app).await, vec![(MARCH.to_string(), 4, false)]);

    // A row of another month in the file is refused too.
    let mut other = rows[0].clone();
    other.at = march.next().start_ms();
    let line = serde_json::to_string(&other).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, line.as_bytes()).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let r = on_month(app, "restore", MARCH, &admin).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // While another instance archives or restores (it holds the lease), this one
    // waits its turn; a lease its holder left behind lapses.
    app::db!(&app.db, pool => sqlx::query(
        "INSERT INTO app_settings (key, value, updated_at) VALUES ('audit_archive_lease', 'pid 1 from 0', $1)"
    ).bind(app::store::now_ms()).execute(pool).await.map(|_| ()))
    .unwrap();
    std::fs::write(&path, &good).unwrap();
    let r = on_month(app, "restore", MARCH, &admin).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Another Grip instance"), "{}", r.body);
    assert!(rows_of(app, march).await.is_empty());
    app::db!(&app.db, pool => sqlx::query(
        "UPDATE app_settings SET updated_at = 0 WHERE key = 'audit_archive_lease'"
    ).execute(pool).await.map(|_| ()))
    .unwrap();

    // A file that is gone says so; put back, the month restores.
    std::fs::remove_file(&path).unwrap();
    let r = on_month(app, "restore", MARCH, &admin).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body.contains("no longer in the data directory"),
        "{}",
        r.body
    );
    std::fs::write(&path, &good).unwrap();
    let r = on_month(app, "restore", MARCH, &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(rows_of(app, march).await, rows);
}

async fn an_archived_rows_id_is_never_handed_out_again(app: &TestApp) {
    let admin = app.setup_admin().await;
    let actor = admin_id(app).await;
    let march = Month::parse(MARCH).unwrap();
    // Every row of the trail, the newest included, dated into March and archived.
    app::db!(&app.db, pool => sqlx::query("UPDATE audit_log SET at = $1").bind(march.start_ms() + 1).execute(pool).await.map(|_| ()))
        .unwrap();
    let before = rows_of(app, march).await;
    let highest = before.iter().map(|r| r.id).max().expect("setup is audited");
    archive::archive_month(&app.db, &dir(app), march, Some(actor))
        .await
        .unwrap();
    let left: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE id <= $1")
        .bind(highest).fetch_one(pool).await)
    .unwrap();
    assert_eq!(left, 0);
    // The next change gets a new id, so the restored month collides with nothing.
    let r = app
        .create_person(&admin, "Nia New", "nia@example.com", "agent")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let newest: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT MIN(id) FROM audit_log")
        .fetch_one(pool).await)
    .unwrap();
    assert!(
        newest > highest,
        "id {newest} handed out again (archived up to {highest})"
    );
    let r = on_month(app, "restore", MARCH, &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(rows_of(app, march).await, before);
}
