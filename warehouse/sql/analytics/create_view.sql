-- description: (Re)create a view model from its definition.
CREATE OR REPLACE VIEW {{ model }} AS
{{ select }}
