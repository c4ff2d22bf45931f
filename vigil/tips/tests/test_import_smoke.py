from vigil.tips.importers import import_file
from vigil.tips.models import Tip


def test_it_imports_a_csv(personas, source, tmp_path):
    p = tmp_path / "t.csv"
    p.write_text(
        "reference,received_at,narrative,ip_address,email,online_id,phone,suspect_name,suspect_dob,country,extra\n"
        "R1,2024-03-01T10:22:00Z,Met at hxxp://bad[.]test/x,203.0.113.5|2024-03-01T10:22:00Z;198.51.100.9,"
        "John.Doe@GMAIL.com,twitter:@Bob,+1 202 555 0143,Doe John,1980-01-02,US,foo\n"
    )
    s = import_file(p, actor=personas.manager, source=source)
    print(s)
    assert s.tips_created == 1
    t = Tip.objects.get()
    print(list(t.selectors.values_list("type", "value", "extracted")))
    s2 = import_file(p, actor=personas.manager, source=source)
    assert s2.tips_unchanged == 1
