# bash completion for vnl (placeholder until the CLI lands)
