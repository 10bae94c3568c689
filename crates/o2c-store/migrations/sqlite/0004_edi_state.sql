-- EDI state shared by every hub instance on this database (ADR 0014):
-- each partner's last X12 control numbers, the numbers each outbound
-- document was built with (chosen once, so a rebuilt document is the same
-- bytes) and the tracking of each received PO until its 855 is out.
CREATE TABLE edi_control_numbers (
    partner     TEXT PRIMARY KEY,
    interchange INTEGER NOT NULL,
    grp         INTEGER NOT NULL,
    txn         INTEGER NOT NULL
);

CREATE TABLE edi_documents (
    partner     TEXT NOT NULL,
    document    TEXT NOT NULL,               -- e.g. 997:<ISA13>-<GS06>, 855:<PO>
    interchange INTEGER NOT NULL,
    grp         INTEGER NOT NULL,
    txn         INTEGER NOT NULL,
    built_at    INTEGER NOT NULL,
    PRIMARY KEY (partner, document)
);

CREATE TABLE edi_po_tracks (
    partner     TEXT NOT NULL,
    po_number   TEXT NOT NULL,
    open        INTEGER NOT NULL,            -- 1 until the 855 is written
    track       TEXT NOT NULL,               -- JSON, the hub's
    version     INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (partner, po_number)
);
CREATE INDEX edi_po_tracks_open ON edi_po_tracks (partner, received_at) WHERE open = 1;
