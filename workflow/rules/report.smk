# The report: every table on one HTML page, shown inline by Snakemake's report beside the figures
# marked with report(...) in figures.smk. The report itself is Snakemake's own:
#     snakemake --cores 1 --report results/report.html
# (run by the DVC stage `report` and `make report`, after the DAG is built).


PARAMS_READ["tables_page"] = []


rule tables_page:
    input:
        tables=report_tables(),
        code=code_fingerprint("tables_page"),
    output:
        report(
            TABLES_PAGE,
            caption="../report/tables.rst",
            category="tables",
            labels={"figure": "every table, with the paper's numbers"},
        ),
    log:
        job_log("tables_page"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors tables-page --tables {input.tables:q} --output {output:q} --title 'Influential factors: every table' 2>&1 | tee {log:q}"
