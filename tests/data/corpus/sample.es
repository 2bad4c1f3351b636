Hola mundo.
El perro come.

Una casa grande y blanca.
Gracias.
