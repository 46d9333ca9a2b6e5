"""The SPARQL engine: queries and updates in confined worker processes, their results, and the
lexical checks made on query text before it reaches a worker."""
