"""The tutorials as printed: every code cell of the seeds run in order and compared with the printed output.

extract  -- the code cells and their printed output, from the three seed formats
cells    -- the catalog's per-tutorial cells files (spec/claims/cells/<tutorial>.toml) and their lint
kernel   -- the child interpreter that runs one tutorial's cells (notebook semantics)
compare  -- output normalisation rules and the comparison
verdict  -- one verdict per cell: as printed · explained · unchecked · BROKEN
cli      -- python -m spec replay
"""
