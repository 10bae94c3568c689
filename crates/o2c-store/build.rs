//! `sqlx::migrate!` embeds the migration files when the crate compiles;
//! cargo does not know they are inputs, so a new migration would be left
//! out of an incremental build. This tells it.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
