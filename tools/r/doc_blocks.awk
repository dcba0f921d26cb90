# The ```r code blocks of a Markdown page, in order, as one R script (the page's own example,
# so the page and the test that runs it cannot drift).
#   usage: awk -f tools/r/doc_blocks.awk docs/r-quickstart.md > bindings/r/inst/examples/quickstart.R
# tools/test.d/50-bindings.sh compares the committed script with this output and runs it.
BEGIN {
  print "# Generated from docs/r-quickstart.md by tools/r/doc_blocks.awk: its ```r blocks, in order."
  print "# Do not edit; edit the page and regenerate. Run: Rscript quickstart.R"
  inside = 0
}
/^```r[[:space:]]*$/ { inside = 1; print ""; next }
/^```/ { inside = 0; next }
inside { print }
