-- EDI state shared by every hub instance on this database (ADR 0014):
-- each partner's last X12 control numbers, the numbers each outbound
-- document was built with (chosen once, so a rebuilt document is the same
-- bytes) and the tracking of each received PO until its 855 is out.
CREATE TABLE edi_control_numbers (
    partner     text PRIMARY KEY,
    interchange bigint NOT NULL,
    grp         bigint NOT NULL,
    txn         bigint NOT NULL
);

CREATE TABLE edi_documents (
    partner     text NOT NULL,
    document    text NOT NULL,               -- e.g. 997:<ISA13>-<GS06>, 855:<PO>
    interchange bigint NOT NULL,
    grp         bigint NOT NULL,
    txn         bigint NOT NULL,
    built_at    timestamptz NOT NULL,
    PRIMARY KEY (partner, document)
);

CREATE TABLE edi_po_tracks (
    partner     text NOT NULL,
    po_number   text NOT NULL,
    open        boolean NOT NULL,            -- true until the 855 is written
    track       jsonb NOT NULL,
    version     bigint NOT NULL,
    received_at timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (partner, po_number)
);
CREATE INDEX edi_po_tracks_open ON edi_po_tracks (partner, received_at) WHERE open;
