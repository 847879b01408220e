"""The holder's side: showing credentials elsewhere (LinkedIn, CVs, JSON Resume); claims,
imports and exports follow."""
